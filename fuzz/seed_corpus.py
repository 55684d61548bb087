#!/usr/bin/env python3
"""Seeds fuzz/corpus/<target>/ from spec/vectors/messages.txt (run from anywhere).

Each target gets the vector frames in the input layout its harness expects, so the
fuzzer starts from valid messages instead of discovering the magic and layouts alone.
"""
import hashlib
import pathlib

root = pathlib.Path(__file__).resolve().parent
frames = []
for block in (root.parent / "spec/vectors/messages.txt").read_text().split("\n\n"):
    rec = dict(
        line.split(": ", 1)
        for line in block.splitlines()
        if line and not line.startswith("#")
    )
    if "frame" in rec:
        frames.append((rec["name"], bytes.fromhex(rec["frame"])))


def put(target, name, data):
    d = root / "corpus" / target
    d.mkdir(parents=True, exist_ok=True)
    (d / ("seed-" + name)).write_bytes(data)


stream = b""
for name, f in frames:
    put("frame_decoder", name, b"\x01" + f)
    msg_type = int.from_bytes(f[6:8], "little")
    payload = f[16:]
    put("message_roundtrip", name, bytes([0, msg_type & 0x1F]) + payload)
    if msg_type == 0x0019:
        put("block_decode", name, b"\x00" + payload)
    if msg_type == 0x001A:
        put("block_decode", name, b"\x01" + payload)
    if len(payload) <= 255 and msg_type <= 0x1F:
        item = bytes([msg_type, len(payload)]) + payload
        put("chunked_stream", name, b"\x02\x05\x00\x21\x00\x00\x00" + item)
        stream += item
put("chunked_stream", "all", b"\x03\x07\x00\x40\x00\x99\x01\x00\x00" + stream)
put("frame_decoder", "all", b"\x01" + b"".join(f for _, f in frames))

# Sessions (checks/session.rs input language): handshaken peers, mining, replays,
# then each vector message delivered to a ready peer.
hello = b"".join(bytes([0, 0, i, i]) for i in range(4))
hello += b"".join(bytes([7, i, i + 1, 2, 3, 4, 5, 6, 7, 0]) for i in range(4))
hello += b"".join(bytes([3, i, 5, 2, 0, 0]) for i in range(4))
work = b"".join(b"\x0b\xff\xff\x0c\xe8\x03" for _ in range(10))
work += b"".join(bytes([9, i, i, 2 * i + 1, 0, 12, 0xE8, 3]) for i in range(10))
put("node_session", "scripted", hello + work)
put("tracker_session", "scripted", hello + b"\x0c\x00\x00" * 4)
for name, f in frames:
    msg_type = int.from_bytes(f[6:8], "little")
    payload = f[16:]
    if len(payload) > 8191:
        continue
    raw = bytes([3, 0, 0xC0]) + msg_type.to_bytes(2, "little")
    raw += len(payload).to_bytes(2, "little") + payload
    if msg_type >= 0x10:
        put("node_session", name, hello + raw + work)
    else:
        put("tracker_session", name, bytes([0, 0, 1, 1]) + raw + b"\x0c\x00\x00")
print("seeded", len(frames), "vectors")
