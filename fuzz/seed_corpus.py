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
print("seeded", len(frames), "vectors")
