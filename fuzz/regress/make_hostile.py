#!/usr/bin/env python3
"""Makes the hand-made hostile inputs of the fuzz regression corpus.

Each one is a small archive of tests/data/spec with a few slots or fields
changed: the shapes of issue 5 item 5 that mutation reaches only rarely
(cycles through ancestors, a group that lists itself, sizes near 2^64,
sample counts near 2^32, instance sources that loop). Nothing is moved:
a new block is appended at the end of the file and one slot is pointed
at it, because Ogawa offsets are absolute.

    fuzz/regress/make_hostile.py [OUTDIR]   (default: fuzz/regress/hostile)

The targets copy these into their own directories (fuzz/regress/<target>/)
so that meson test replays them; this script only documents how they
were made.
"""
import os
import struct
import sys

DATA = 1 << 63
HERE = os.path.dirname(os.path.abspath(__file__))
SPEC = os.path.join(HERE, '..', '..', 'tests', 'data', 'spec')


class Ogawa:
    """Just enough of ogawa-format.md §1 to read groups and patch slots."""

    def __init__(self, data):
        self.b = bytearray(data)

    def u64(self, off):
        return struct.unpack_from('<Q', self.b, off)[0]

    def root(self):
        return self.u64(8)

    def group(self, off):
        return [self.u64(off + 8 + 8 * i) for i in range(self.u64(off))] if off else []

    def data(self, slot):
        off = slot & ~DATA
        return bytes(self.b[off + 8:off + 8 + self.u64(off)]) if off else b''

    def set_slot(self, group_off, idx, value):
        struct.pack_into('<Q', self.b, group_off + 8 + 8 * idx, value)

    def set_u64(self, off, value):
        struct.pack_into('<Q', self.b, off, value)

    def append_data(self, payload):
        off = len(self.b)
        self.b += struct.pack('<Q', len(payload)) + payload
        return off | DATA

    def append_group(self, slots):
        off = len(self.b)
        self.b += struct.pack('<Q', len(slots)) + b''.join(struct.pack('<Q', s) for s in slots)
        return off


def read_property_headers(blob):
    """§5.2 records, as dicts."""
    recs, p = [], 0

    def hinted(hint):
        nonlocal p
        size = (1, 2, 4)[hint]
        v = int.from_bytes(blob[p:p + size], 'little')
        p += size
        return v
    while p < len(blob):
        info = struct.unpack_from('<I', blob, p)[0]
        p += 4
        r, hint = {'info': info}, (info >> 2) & 3
        if info & 3:
            r['n'] = hinted(hint)
            if info & 0x200:
                r['first'], r['last'] = hinted(hint), hinted(hint)
            if info & 0x100:
                r['ts'] = hinted(hint)
        n = hinted(hint)
        r['name'] = blob[p:p + n]
        p += n
        if (info >> 20) & 0xFF == 255:
            n = hinted(hint)
            r['meta'] = blob[p:p + n]
            p += n
        recs.append(r)
    return recs


def write_property_headers(recs):
    """The records again, all with 4-byte sizes (hint 2)."""
    out = b''
    u32 = lambda v: struct.pack('<I', v)
    for r in recs:
        info = (r['info'] & ~0xC) | 0x8
        out += u32(info)
        if info & 3:
            out += u32(r['n'])
            if info & 0x200:
                out += u32(r['first']) + u32(r['last'])
            if info & 0x100:
                out += u32(r['ts'])
        out += u32(len(r['name'])) + r['name']
        if 'meta' in r:
            out += u32(len(r['meta'])) + r['meta']
    return out


def props():
    """props.abc: the top object has one child "child" whose compound holds
    myint, mystr, farr, sarr, comp, animd, acyc, cyc (ogawa-format.md §11.4)."""
    o = Ogawa(open(os.path.join(SPEC, 'props.abc'), 'rb').read())
    root = o.group(o.root())
    top = o.group(root[2])
    child = o.group(top[1])
    return o, root, top, child, o.group(child[0])


def make_all(outdir):
    os.makedirs(outdir, exist_ok=True)

    def save(name, o):
        with open(os.path.join(outdir, name), 'wb') as f:
            f.write(o.b)

    # Sample counts of 2^32-1 (first/last changed kept): a lister or a
    # .times writer that trusts the count runs for hours.
    o, root, top, child, cc = props()
    recs = read_property_headers(o.data(cc[-1]))
    for r in recs:
        if r['name'] in (b'myint', b'animd', b'acyc', b'cyc', b'farr'):
            r['n'] = 0xFFFFFFFF
    o.set_slot(child[0], len(cc) - 1, o.append_data(write_property_headers(recs)))
    save('hostile-4g-samples.abc', o)

    # /child/loop is the top object's own group: a cycle through an ancestor.
    o, root, top, child, cc = props()
    header = struct.pack('<I', 4) + b'loop' + b'\x00' + b'\x00' * 32
    o.set_slot(root[2], 1, o.append_group([child[0], root[2], o.append_data(header)]))
    save('hostile-object-cycle.abc', o)

    # The compound property "comp" is its parent compound's group.
    o, root, top, child, cc = props()
    o.set_slot(child[0], 4, child[0])
    save('hostile-compound-cycle.abc', o)

    # comp's group lists itself as its first sub-property (§1.6).
    o, root, top, child, cc = props()
    o.set_slot(cc[4], 0, cc[4])
    save('hostile-group-self.abc', o)

    # Sizes near 2^64: mystr's sample block, farr's group count, sarr's
    # dims block.
    o, root, top, child, cc = props()
    o.set_u64(o.group(cc[1])[0] & ~DATA, 0xFFFFFFFFFFFFFFF0)
    o.set_u64(cc[2], 0x1FFFFFFFFFFFFFFF)
    o.set_u64(o.group(cc[3])[1] & ~DATA, 0xFFFFFFFFFFFFFFF8)
    save('hostile-sizes-2-64.abc', o)

    # geom.abc: /xf2/meshInst is an instance of /xf/mesh; give it other
    # sources: itself, its parent, the root, a path through itself, "..",
    # repeated slashes.
    geom = open(os.path.join(SPEC, 'geom.abc'), 'rb').read()
    for name, path in (('self', b'/xf2/meshInst'), ('ancestor', b'/xf2'), ('root', b'/'),
                       ('through-self', b'/xf2/meshInst/x/y'), ('dotdot', b'/nope/../xf/mesh'),
                       ('slashes', b'//xf///mesh/')):
        o = Ogawa(geom)
        top = o.group(o.group(o.root())[2])
        inst = o.group(o.group(top[2])[1])
        source = o.append_data(b'\x00' * 16 + path + b'\x00')
        o.set_slot(inst[0], 0, o.append_group([source]))
        save('hostile-instance-%s.abc' % name, o)


if __name__ == '__main__':
    make_all(sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, 'hostile'))
