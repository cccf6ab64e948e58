/*
 * write_object.c — objects of the writer (ogawa-format.md §4, §6.4–§6.6,
 * §7 rules 2 and 7): creation, instances (§4.3), and finishing, which
 * appends, in this order,
 *   1. the object-headers block: each child's name and metadata index
 *      (assigned now, §3.5), then the object's data hash and children
 *      hash (§4.2);
 *   2. the header block of its top compound's properties (indices again);
 *   3. the top compound group (EMPTY_GROUP without properties);
 *   4. the object group: top compound, children, headers block (§4.1);
 * and computes the object hash its parent will need (§6.6).
 *
 * An object keeps its children's handles only until it is finished: after
 * that the parent needs nothing but group_slot and hash.
 */
#include <stdlib.h>
#include <string.h>

#include "write_int.h"

int
abc_wobject_new(abc_writer *w, abc_wobject *parent, abc_str name, char *md, size_t md_len,
                abc_wobject **out, struct ogawa_err *err)
{
    *out = NULL;
    abc_wobject *o = calloc(1, sizeof(*o));
    char *nm = malloc(name.len ? name.len : 1);
    if (!o || !nm) {
        free(o);
        free(nm);
        return ogawa_fail(err, OGAWA_E_NOMEM, 0, "out of memory creating an object");
    }
    memcpy(nm, name.ptr, name.len);
    o->w = w;
    o->parent = parent;
    o->name = nm;
    o->name_len = name.len;
    o->props = abc_wprop_new_top(o);
    if (!o->props) {
        free(nm);
        free(o);
        return ogawa_fail(err, OGAWA_E_NOMEM, 0, "out of memory creating an object");
    }
    int rc = 0;
    if (parent)
        rc = abc_writer_name_add(w, parent, o->name, o->name_len, err);
    if (rc == 0 && parent && parent->n_children == parent->cap_children) {
        size_t cap = parent->cap_children ? 2 * parent->cap_children : 4;
        abc_wobject **c = realloc(parent->children, cap * sizeof(*c));
        if (!c) {
            rc = ogawa_fail(err, OGAWA_E_NOMEM, 0, "out of memory adding a child object");
        } else {
            parent->children = c;
            parent->cap_children = cap;
        }
    }
    if (rc == 0)
        rc = abc_writer_add_node(w, true, o, err);
    if (rc) {
        /* Only a duplicate fails before the name is in the set; anything
         * later is NOMEM, which poisons the writer (the caller records it)
         * so the set is never searched again and may keep a stale key. */
        abc_wprop_free(o->props);
        free(nm);
        free(o);
        return rc;
    }
    if (parent) {
        parent->children[parent->n_children++] = o;
        parent->n_open++;
    }
    o->md = md;
    o->md_len = md_len;
    *out = o;
    return 0;
}

void
abc_wobject_free(abc_wobject *o)
{
    if (!o)
        return;
    abc_wprop_free(o->props);
    free(o->children);
    free(o->name);
    free(o->md);
    free(o);
}

int
abc_wobject_add_child(abc_wobject *parent, abc_str name, const struct abc_wmeta *meta,
                      abc_wobject **out, struct ogawa_err *err)
{
    *out = NULL;
    abc_writer *w = parent->w;
    struct ogawa_err e = {0};
    int rc = abc_writer_failed(w, err);
    if (rc)
        return rc;
    if (parent->finished)
        return ogawa_fail(err, OGAWA_E_INVAL, 0, "object already finished");
    rc = abc_wname_check(name, err);
    if (rc)
        return rc;
    char *md;
    size_t md_len;
    rc = abc_wmeta_serialize(meta, &md, &md_len, &e);
    if (rc == 0) {
        rc = abc_wobject_new(w, parent, name, md, md_len, out, &e);
        if (rc)
            free(md);
    }
    return abc_writer_fail(w, rc, &e, err);
}

int
abc_wobject_add_instance(abc_wobject *parent, abc_str name, abc_str target,
                         struct ogawa_err *err)
{
    if (!target.ptr || target.len == 0)
        return ogawa_fail(err, OGAWA_E_INVAL, 0, "instance target is empty");
    if (memchr(target.ptr, '\0', target.len))
        return ogawa_fail(err, OGAWA_E_INVAL, 0, "instance target contains a NUL byte");
    abc_wobject *o;
    int rc = abc_wobject_add_child(parent, name, ABC_WMETA("isInstance", "1"), &o, err);
    if (rc)
        return rc;
    /* §4.3: one string sample, the target path; both finished at once. */
    abc_wprop *src;
    rc = abc_wprop_add_scalar(o->props, abc_wstr(".instanceSource"), NULL, ABC_POD_STRING, 1, 0,
                              &src, err);
    if (rc)
        return rc;
    char *payload = malloc(target.len + 1);
    if (!payload) {
        struct ogawa_err e;
        ogawa_fail(&e, OGAWA_E_NOMEM, 0, "out of memory adding an instance");
        return abc_writer_fail(parent->w, OGAWA_E_NOMEM, &e, err);
    }
    memcpy(payload, target.ptr, target.len);
    payload[target.len] = '\0';
    rc = abc_wprop_add_sample(src, payload, target.len + 1, err);
    free(payload);
    if (rc == 0)
        rc = abc_wprop_finish(src, err);
    if (rc == 0)
        rc = abc_wobject_finish(o, err);
    return rc;
}

abc_wprop *
abc_wobject_props(abc_wobject *o)
{
    return o->props;
}

/* §4.2 header block plus the two hashes (§6.4, §6.5). */
static int
abc_wobject_write_headers(abc_wobject *o, ogawa_digest *data_hash, uint64_t *slot,
                          struct ogawa_err *err)
{
    abc_writer *w = o->w;
    size_t len = 32;
    for (size_t i = 0; i < o->n_children; i++) {
        const abc_wobject *c = o->children[i];
        /* name, index, and room for inline metadata (long, or the table
         * is full: only known when the index is assigned below) */
        len += 4 + c->name_len + 1 + 4 + c->md_len;
    }
    uint8_t *buf = malloc(len);
    if (!buf)
        return ogawa_fail(err, OGAWA_E_NOMEM, 0, "out of memory writing object headers");
    size_t pos = 0;
    for (size_t i = 0; i < o->n_children; i++) {
        const abc_wobject *c = o->children[i];
        abc_put_u32(buf + pos, (uint32_t)c->name_len);
        memcpy(buf + pos + 4, c->name, c->name_len);
        pos += 4 + c->name_len;
        uint8_t idx = abc_writer_md_index(w, c->md, c->md_len);
        buf[pos++] = idx;
        if (idx == 255) {
            abc_put_u32(buf + pos, (uint32_t)c->md_len);
            memcpy(buf + pos + 4, c->md, c->md_len);
            pos += 4 + c->md_len;
        }
    }
    ogawa_spooky_state s;
    ogawa_spooky_init(&s);
    const abc_wprop *tc = o->props;
    for (size_t i = 0; i < tc->n_children; i++) {
        uint8_t h[16];
        ogawa_digest_to_bytes(tc->children[i]->hash, h);
        ogawa_spooky_update(&s, h, 16);
    }
    *data_hash = ogawa_spooky_final(&s);
    ogawa_digest_to_bytes(*data_hash, buf + pos);
    pos += 16;
    if (o->n_children) {
        ogawa_spooky_init(&s);
        for (size_t i = 0; i < o->n_children; i++) {
            uint8_t h[16];
            ogawa_digest_to_bytes(o->children[i]->hash, h);
            ogawa_spooky_update(&s, h, 16);
        }
        ogawa_digest_to_bytes(ogawa_spooky_final(&s), buf + pos);
    } else {
        memset(buf + pos, 0, 16);
    }
    pos += 16;
    struct iovec iov = {buf, pos};
    int rc = ogawa_writer_data(w->ow, &iov, 1, slot, err);
    free(buf);
    return rc;
}

int
abc_wobject_finish_now(abc_wobject *o, struct ogawa_err *err)
{
    abc_writer *w = o->w;
    abc_wprop *tc = o->props;
    ogawa_digest data_hash;
    uint64_t hdr_slot, tc_slot = OGAWA_EMPTY_GROUP;
    int rc = abc_wobject_write_headers(o, &data_hash, &hdr_slot, err);
    if (rc)
        return rc;
    if (tc->n_children) {
        uint64_t *slots = malloc((tc->n_children + 1) * sizeof(*slots));
        if (!slots)
            return ogawa_fail(err, OGAWA_E_NOMEM, 0, "out of memory finishing an object");
        for (size_t i = 0; i < tc->n_children; i++)
            slots[i] = tc->children[i]->group_slot;
        rc = abc_wprop_write_headers(tc, &slots[tc->n_children], err);
        if (rc == 0)
            rc = ogawa_writer_group(w->ow, slots, tc->n_children + 1, &tc_slot, err);
        free(slots);
        if (rc)
            return rc;
    }
    uint64_t *slots = malloc((o->n_children + 2) * sizeof(*slots));
    if (!slots)
        return ogawa_fail(err, OGAWA_E_NOMEM, 0, "out of memory finishing an object");
    slots[0] = tc_slot;
    for (size_t i = 0; i < o->n_children; i++)
        slots[i + 1] = o->children[i]->group_slot;
    slots[o->n_children + 1] = hdr_slot;
    rc = ogawa_writer_group(w->ow, slots, o->n_children + 2, &o->group_slot, err);
    free(slots);
    if (rc)
        return rc;

    /* §6.6: children hashes, data hash, metadata, name. */
    ogawa_spooky_state s;
    ogawa_spooky_init(&s);
    for (size_t i = 0; i < o->n_children; i++) {
        uint8_t h[16];
        ogawa_digest_to_bytes(o->children[i]->hash, h);
        ogawa_spooky_update(&s, h, 16);
    }
    uint8_t h[16];
    ogawa_digest_to_bytes(data_hash, h);
    ogawa_spooky_update(&s, h, 16);
    if (o->md_len)
        ogawa_spooky_update(&s, o->md, o->md_len);
    ogawa_spooky_update(&s, o->name, o->name_len);
    o->hash = ogawa_spooky_final(&s);

    o->finished = true;
    tc->finished = true;
    free(o->children);
    o->children = NULL;
    free(tc->children);
    tc->children = NULL;
    if (o->parent)
        o->parent->n_open--;
    return 0;
}

int
abc_wobject_finish(abc_wobject *o, struct ogawa_err *err)
{
    abc_writer *w = o->w;
    struct ogawa_err e = {0};
    int rc = abc_writer_failed(w, err);
    if (rc)
        return rc;
    if (!o->parent)
        return ogawa_fail(err, OGAWA_E_INVAL, 0, "the top object is finished by close");
    if (o->finished)
        return ogawa_fail(err, OGAWA_E_INVAL, 0, "object already finished");
    if (o->n_open)
        return ogawa_fail(err, OGAWA_E_INVAL, 0, "object has an unfinished child object");
    if (o->props->n_open)
        return ogawa_fail(err, OGAWA_E_INVAL, 0, "object has an unfinished property");
    rc = abc_wobject_finish_now(o, &e);
    return abc_writer_fail(w, rc, &e, err);
}
