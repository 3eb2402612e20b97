#!/usr/bin/python3
"""Copy an ELF64 shared library and mark chosen symbol-version requirements weak (VER_FLG_WEAK) in the copy.

Why: TorchSharp 0.107.0's libLibTorchSharp.so was linked against GCC 13's libstdc++ and asks for GLIBCXX_3.4.32
for a single marker symbol (_ZSt21ios_base_library_initv, which has no relocation). Debian 12's libstdc++ stops at
GLIBCXX_3.4.30, so the dynamic loader refuses the library. A weak version requirement that is missing is only
reported, not fatal, and since no relocation refers to the marker symbol nothing is ever looked up under it.

Usage: weaken_glibcxx.py SOURCE DEST [VERSION ...]   (default VERSION: GLIBCXX_3.4.32). Standard library only.
The copy is written to a temporary file and renamed over DEST, so a hard link to the package cache is never
written through. Idempotent.
"""
import os
import struct
import sys

SHT_GNU_VERNEED = 0x6FFFFFFE
VER_FLG_WEAK = 0x2


def weaken(data: bytearray, versions: set) -> list:
    if data[:4] != b"\x7fELF" or data[4] != 2 or data[5] != 1:
        raise SystemExit("not a little-endian ELF64 file")
    e_shoff, = struct.unpack_from("<Q", data, 0x28)
    e_shentsize, e_shnum = struct.unpack_from("<HH", data, 0x3A)
    sections = []
    for i in range(e_shnum):
        off = e_shoff + i * e_shentsize
        sh_name, sh_type, sh_flags, sh_addr, sh_offset, sh_size, sh_link, sh_info = struct.unpack_from(
            "<IIQQQQII", data, off)
        sections.append((sh_type, sh_offset, sh_size, sh_link, sh_info))
    changed = []
    for sh_type, sh_offset, _sh_size, sh_link, sh_info in sections:
        if sh_type != SHT_GNU_VERNEED:
            continue
        strtab = sections[sh_link][1]

        def name_at(o):
            end = data.index(b"\0", strtab + o)
            return data[strtab + o:end].decode()

        vn = sh_offset
        for _ in range(sh_info):
            vn_version, vn_cnt, vn_file, vn_aux, vn_next = struct.unpack_from("<HHIII", data, vn)
            aux = vn + vn_aux
            for _ in range(vn_cnt):
                vna_hash, vna_flags, vna_other, vna_name, vna_next = struct.unpack_from("<IHHII", data, aux)
                name = name_at(vna_name)
                if name in versions:
                    struct.pack_into("<H", data, aux + 4, vna_flags | VER_FLG_WEAK)
                    changed.append(f"{name_at(vn_file)}:{name}")
                aux += vna_next
                if vna_next == 0:
                    break
            if vn_next == 0:
                break
            vn += vn_next
    return changed


def main(argv):
    if len(argv) < 3:
        raise SystemExit(__doc__)
    src, dest = argv[1], argv[2]
    versions = set(argv[3:]) or {"GLIBCXX_3.4.32"}
    with open(src, "rb") as f:
        data = bytearray(f.read())
    changed = weaken(data, versions)
    tmp = dest + ".tmp"
    with open(tmp, "wb") as f:
        f.write(data)
    os.chmod(tmp, 0o755)
    os.replace(tmp, dest)
    print(f"weaken_glibcxx: {dest}: weak {', '.join(changed) if changed else '(nothing matched)'}")


if __name__ == "__main__":
    main(sys.argv)
