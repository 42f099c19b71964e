#!/usr/bin/env python3
"""The include layering of docs/architecture.md, checked against what the build links.

Usage: check_layering.py SOURCE_DIR LAYERING_FILE

LAYERING_FILE is written by CMake at configure time (cmake/VltuneLayering.cmake): for each vltune
library and the vltune program, its sources and the targets it links directly. A header belongs to
the library that compiles the .cpp of the same name beside it; a header with no such .cpp belongs
to every library with a source in its folder. A library's file (a source, or a header it owns) may
include a header of its own library or of a library it links, directly or through what that links.
Every other `#include "folder/..."` of a vltune header is printed with the file and line, and the
status is 1. ctest runs it as Layering.IncludesFollowLinks (label unit).
"""
import os
import re
import sys

INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"')


def read_layering(path):
    """{target: (sources, direct vltune links)} from the CMake-written file."""
    targets, current = {}, None
    with open(path, encoding="utf-8") as f:
        for line in f:
            key, _, value = line.rstrip("\n").partition(" ")
            items = [item for item in value.split(";") if item]
            if key == "target":
                current = value
                targets[current] = ([], [])
            elif key == "sources":
                targets[current][0].extend(os.path.normpath(item) for item in items)
            elif key == "links":
                targets[current][1].extend(items)
    for name, (sources, links) in targets.items():
        links[:] = [link for link in links if link in targets]
    return targets


def closure(targets, name):
    """The target and everything it links, transitively."""
    seen, stack = set(), [name]
    while stack:
        target = stack.pop()
        if target in seen:
            continue
        seen.add(target)
        stack.extend(targets[target][1])
    return seen


def header_owners(targets, root):
    """{header path relative to root: set of owning targets} for every header in the libraries' folders."""
    by_cpp, by_dir = {}, {}
    for name, (sources, _) in targets.items():
        for source in sources:
            by_cpp.setdefault(os.path.splitext(source)[0], set()).add(name)
            by_dir.setdefault(os.path.dirname(source), set()).add(name)
    owners = {}
    for directory, names in by_dir.items():
        for entry in sorted(os.listdir(directory)):
            if not entry.endswith(".h"):
                continue
            path = os.path.join(directory, entry)
            stem = os.path.splitext(path)[0]
            owners[os.path.relpath(path, root)] = by_cpp.get(stem, names)
    return owners


def violations(targets, root):
    owners = header_owners(targets, root)
    reach = {name: closure(targets, name) for name in targets}
    files = {}  # file -> the targets whose code it is
    for name, (sources, _) in targets.items():
        for source in sources:
            files.setdefault(source, set()).add(name)
    for header, names in owners.items():
        files.setdefault(os.path.join(root, header), set()).update(names)
    found = []
    for path in sorted(files):
        users = files[path]
        with open(path, encoding="utf-8") as f:
            for number, line in enumerate(f, 1):
                match = INCLUDE.match(line)
                if not match or match.group(1) not in owners:
                    continue
                wanted = owners[match.group(1)]
                if any(reach[user] & wanted for user in users):
                    continue
                found.append(f"{os.path.relpath(path, root)}:{number}: includes \"{match.group(1)}\" "
                             f"(of {' / '.join(sorted(wanted))}), which {' / '.join(sorted(users))} does not link")
    return found


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    root, layering = os.path.abspath(sys.argv[1]), sys.argv[2]
    targets = read_layering(layering)
    if not targets:
        sys.exit(f"{layering}: lists no targets")
    found = violations(targets, root)
    for line in found:
        print(line)
    checked = sum(len(sources) for sources, _ in targets.values())
    print(f"{len(found)} include(s) against the link layering, in {checked} sources of {len(targets)} targets")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
