#!/usr/bin/env python3
"""Writes the small seed corpus of every fuzz target (fuzz/corpus/<target>/) from
well-formed messages, so the fuzzers start from inputs that reach deep code paths.
The encodings mirror include/triad/process/detail/serialize.hpp (cereal binary: a uint64
length before strings and containers; arithmetic values as raw little-endian bytes) and
detail/manager_protocol.hpp (request = u32 object, u16 op, vector<string> args)."""
import os
import struct

here = os.path.dirname(os.path.abspath(__file__))


def s(b):  # cereal std::string
    if isinstance(b, str):
        b = b.encode()
    return struct.pack('<Q', len(b)) + b


def vec(items):  # cereal std::vector<std::string>
    return struct.pack('<Q', len(items)) + b''.join(s(i) for i in items)


def frame(payload):  # Connection framing
    return struct.pack('<I', len(payload)) + payload


def request(obj, op, args):
    return struct.pack('<IH', obj, op) + vec(args)


i32 = lambda v: struct.pack('<i', v)
i64 = lambda v: struct.pack('<q', v)
u64 = lambda v: struct.pack('<Q', v)
b8 = lambda v: struct.pack('<?', v)
FOREVER = 2**63 - 1

OPS = dict(create=1, shutdown=2, ping=3, dict_getitem=20, dict_get=21, dict_setitem=22, dict_delitem=23,
           dict_contains=24, dict_len=25, dict_keys=26, dict_values=27, dict_items=28, dict_pop=29,
           dict_popitem=30, dict_setdefault=31, dict_update=32, dict_clear=33, list_append=40,
           list_extend=41, list_insert=42, list_getitem=43, list_setitem=44, list_delitem=45, list_pop=46,
           list_index=47, list_count=48, list_remove=49, list_len=50, list_clear=51, list_tolist=52,
           ns_getattr=60, ns_setattr=61, ns_delattr=62, ns_hasattr=63, value_get=70, value_set=71,
           queue_put=80, queue_get=81, queue_qsize=82, queue_empty=83, queue_full=84, queue_task_done=85,
           queue_join=86, lock_acquire=100, lock_release=101, lock_locked=102, sem_get_value=103,
           event_set=110, event_clear=111, event_is_set=112, event_wait=113)


def write(target, name, data):
    d = os.path.join(here, 'corpus', target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), 'wb') as f:
        f.write(data)


# Connection frames: mode byte, then a stream.
write('connection_frame', 'bytes', b'\x00' + frame(b'hello') + frame(b''))
write('connection_frame', 'maxlength', b'\x01' + frame(b'x' * 150))
write('connection_frame', 'string', b'\x02' + frame(s('你好, world')))
write('connection_frame', 'vector_map', b'\x03' + frame(u64(1) + u64(1) + s('k') + i32(5)))
write('connection_frame', 'tuple', b'\x04' + frame(i32(1) + s('two') + struct.pack('<d', 3.0)))
write('connection_frame', 'u64', b'\x05' + frame(u64(42)))
write('connection_frame', 'long_header', b'\x00' + struct.pack('<IQ', 0xFFFFFFFF, 3) + b'abc')
write('connection_frame', 'truncated', b'\x00' + struct.pack('<I', 1000) + b'short')

# Manager requests: 2-byte length + request, several per input. Ids 1..9 exist (dict, list,
# namespace, value, queue, lock, event, semaphore, bounded semaphore).
def reqs(*rs):
    out = b''
    for r in rs:
        out += struct.pack('<H', len(r)) + r
    return out

write('manager_request', 'dict', reqs(request(1, OPS['dict_setitem'], [s('k'), i32(1)]),
                                      request(1, OPS['dict_getitem'], [s('k')]),
                                      request(1, OPS['dict_update'], [s('a'), i32(2), s('b'), i32(3)]),
                                      request(1, OPS['dict_items'], []), request(1, OPS['dict_popitem'], []),
                                      request(1, OPS['dict_pop'], [s('missing')])))
write('manager_request', 'list', reqs(request(2, OPS['list_append'], [i32(3)]),
                                      request(2, OPS['list_insert'], [i64(-5), i32(0)]),
                                      request(2, OPS['list_pop'], [i64(-1)]),
                                      request(2, OPS['list_index'], [i32(2)]),
                                      request(2, OPS['list_getitem'], [i64(99)]),
                                      request(2, OPS['list_remove'], [i32(1)])))
write('manager_request', 'namespace_value', reqs(request(3, OPS['ns_setattr'], [s('x'), i32(1)]),
                                                 request(3, OPS['ns_getattr'], [s('y')]),
                                                 request(4, OPS['value_set'], [i32(9)]),
                                                 request(4, OPS['value_get'], [])))
write('manager_request', 'queue', reqs(request(5, OPS['queue_put'], [s('item'), b8(True), i64(FOREVER)]),
                                       request(5, OPS['queue_get'], [b8(True), i64(0)]),
                                       request(5, OPS['queue_get'], [b8(False), i64(FOREVER)]),
                                       request(5, OPS['queue_task_done'], []),
                                       request(5, OPS['queue_join'], [])))
write('manager_request', 'sync', reqs(request(6, OPS['lock_acquire'], [b8(True), i64(FOREVER)]),
                                      request(6, OPS['lock_acquire'], [b8(False), i64(5)]),
                                      request(6, OPS['lock_release'], []), request(6, OPS['lock_release'], []),
                                      request(7, OPS['event_wait'], [i64(FOREVER)]),
                                      request(7, OPS['event_set'], []),
                                      request(9, OPS['lock_release'], []),
                                      request(8, OPS['sem_get_value'], [])))
write('manager_request', 'create', reqs(request(0, OPS['create'], [b'\x01', s('k'), i32(1)]),
                                        request(0, OPS['create'], [b'\x05', u64(1)]),
                                        request(0, OPS['create'], [b'\x63']),
                                        request(10, OPS['dict_len'], []), request(0, OPS['ping'], [])))

# Handshake: role byte (even: we deliver, odd: we answer), then the peer's bytes.
write('manager_handshake', 'deliver', b'\x00' + frame(b'{sha256}' + b'\x11' * 32))
write('manager_handshake', 'deliver_long', b'\x00' + frame(b'{sha256}' + b'\x11' * 300))
write('manager_handshake', 'answer', b'\x01' + frame(b'#CHALLENGE#{sha256}' + b'\x22' * 40) + frame(b'#WELCOME#'))
write('manager_handshake', 'answer_failure', b'\x01' + frame(b'#CHALLENGE#{sha256}' + b'\x22' * 40) + frame(b'#FAILURE#'))
write('manager_handshake', 'answer_md5', b'\x01' + frame(b'#CHALLENGE#{md5}' + b'\x22' * 20))
