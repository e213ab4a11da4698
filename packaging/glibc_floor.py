"""The payload's shared objects on the oldest glibc the single file supports:
the glibc of a Debian root (build/roots/bullseye, made by
packaging/debian_root.sh; docs/single-file.md#the-glibc-floor).

build_single_file.py bundles the libraries the payload's ELF files load
with `library_for_floor`: the host's (Debian bookworm's) copy when it fits
the floor; else, for SQLite, the same Debian source built against the root
(`build_sqlite`); else the same library relinked against the root from the
static archive of the same Debian package (the same code, built against
glibc 2.36, whose newer symbols are only the ones glibc 2.34 moved from
libdl, libpthread and librt into libc), with the host copy's exports and
symbol versions; else the root's own copy (the compiler's runtime,
libstdc++ and libgcc_s, which no archive rebuilds). The standard library's
extension modules that need a newer glibc are built from the CPython
source of the host's Python (`build_stdlib_module`). `check_tree` then
proves every symbol version an ELF file of the tree needs is one the
floor's glibc or the bundled library defines.

The compiler is the host's GCC with the root as its --sysroot, the host's
headers after the root's, as packaging/glibc-floor/toolchain.cmake sets it
up for CMake.
"""
import hashlib
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import tarfile
import tempfile
import urllib.request

ARCH_LIBS = 'usr/lib/x86_64-linux-gnu'
# glibc's own libraries (and libcrypt, which every glibc system has): the
# host's, never bundled.
GLIBC_SONAMES = re.compile(r'^(linux-vdso\.so\.1|ld-linux-x86-64\.so\.2|lib(c|m|dl|pthread|rt|util|'
                           r'resolv|anl|nsl|crypt)\.so\.\d+)$')


# Debian bookworm's sources of what is built here: the upstream CPython of
# the host's python3.11 (Debian's patches touch none of the modules built
# from it) and SQLite with Debian's patches.
DEBIAN_POOL = 'http://deb.debian.org/debian/pool/main'
CPYTHON_SOURCE = (f'{DEBIAN_POOL}/p/python3.11/python3.11_3.11.2.orig.tar.gz',
                  '2411c74bda5bbcfcddaf4531f66d1adc73f247f529aee981b029513aefdbf849')
CPYTHON_VERSION = (3, 11, 2)
SQLITE_SOURCES = (
    (f'{DEBIAN_POOL}/s/sqlite3/sqlite3_3.40.1.orig.tar.xz',
     'aaa776260ab4dc976db34aa7891819484c8676b5b2783123ebc6301e2ca5d655'),
    (f'{DEBIAN_POOL}/s/sqlite3/sqlite3_3.40.1-2+deb12u2.debian.tar.xz',
     '0843bc12e4364076477935ce313a6d0796fd899a989ff18ebb6545540e10e4ca'),
)
# The standard library's extension modules, as CPython 3.11's setup.py and
# Modules/Setup.stdlib build them: sources under Modules/, then flags (the
# libffi functions setup.py finds in libffi 3.4's ffi.h) and libraries.
STDLIB_MODULES = {
    '_ctypes': (['_ctypes/_ctypes.c', '_ctypes/callbacks.c', '_ctypes/callproc.c',
                 '_ctypes/stgdict.c', '_ctypes/cfield.c'],
                ['-DHAVE_FFI_PREP_CIF_VAR=1', '-DHAVE_FFI_PREP_CLOSURE_LOC=1',
                 '-DHAVE_FFI_CLOSURE_ALLOC=1', '-lffi', '-ldl']),
    '_multiprocessing': (['_multiprocessing/multiprocessing.c',
                          '_multiprocessing/semaphore.c'], ['-lpthread']),
    '_posixshmem': (['_multiprocessing/posixshmem.c'], ['-lrt']),
}


def compiler(root):
    """gcc for the root's glibc (toolchain.cmake's flags)."""
    libs = os.path.join(root, ARCH_LIBS)
    return ['gcc', f'--sysroot={root}', f'-B{libs}/', f'-L{libs}',
            '-idirafter', '/usr/include/x86_64-linux-gnu', '-idirafter', '/usr/include']


def fetch(url, sha256, cache):
    """The file at `url`, downloaded once into `cache`, checked."""
    path = os.path.join(cache, url.rsplit('/', 1)[1])
    if not os.path.exists(path):
        os.makedirs(cache, exist_ok=True)
        with urllib.request.urlopen(url, timeout=120) as response, \
                open(path + '.partial', 'wb') as f:
            shutil.copyfileobj(response, f)
        os.replace(path + '.partial', path)
    with open(path, 'rb') as f:
        digest = hashlib.sha256(f.read()).hexdigest()
    if digest != sha256:
        os.unlink(path)
        raise RuntimeError(f'{url}: sha256 {digest}, expected {sha256}')
    return path


def _extract(archive, target, members=None):
    with tarfile.open(archive) as tar:
        chosen = [m for m in tar.getmembers()
                  if members is None or any(m.name.split('/', 1)[-1].startswith(p)
                                            for p in members)]
        tar.extractall(target, chosen)  # pinned by their sha256


def build_stdlib_module(name, root, work, out):
    """The standard library's extension module `name` built from CPython's
    source against the root, with the flags of the host's python3.11."""
    if sys.version_info[:3] != CPYTHON_VERSION:
        raise RuntimeError(f'CPYTHON_SOURCE is CPython {CPYTHON_VERSION}, this python is '
                           f'{sys.version_info[:3]}: update it')
    source = os.path.join(work, 'Python-%d.%d.%d' % CPYTHON_VERSION)
    if not os.path.isdir(os.path.join(source, 'Modules')):
        _extract(fetch(*CPYTHON_SOURCE, os.path.join(work, 'downloads')), work,
                 ['Modules/'])
    sources, module_flags = STDLIB_MODULES[name]
    var = sysconfig.get_config_var
    flags = ' '.join(var(v) for v in ('CFLAGS', 'CCSHARED', 'CONFIGURE_CFLAGS_NODIST',
                                      'CONFIGURE_CPPFLAGS')).split()
    include = sysconfig.get_paths()['include']
    subprocess.run(
        [*compiler(root), *flags, '-shared', '-Wl,-O1', '-Wl,-Bsymbolic-functions',
         f'-I{source}/Modules/_multiprocessing', f'-I{include}', f'-I{include}/internal',
         '-o', out, *(os.path.join(source, 'Modules', s) for s in sources), *module_flags],
        check=True)
    _strip(out)


def build_sqlite(root, work, out):
    """libsqlite3.so.0 from Debian bookworm's SQLite source and patches, with
    the CFLAGS and features of debian/rules, built against the root. (Debian's
    static archive is not position-independent.)"""
    built = os.path.join(work, f'libsqlite3-{SQLITE_SOURCES[1][1][:16]}.so.0')
    if os.path.exists(built):
        shutil.copyfile(built, out)
        return
    source = os.path.join(work, 'sqlite3-3.40.1')
    shutil.rmtree(source, ignore_errors=True)
    downloads = os.path.join(work, 'downloads')
    orig, debian = (fetch(url, sha, downloads) for url, sha in SQLITE_SOURCES)
    _extract(orig, work)
    _extract(debian, source)
    with open(os.path.join(source, 'debian/patches/series'), encoding='utf-8') as f:
        for patch in f.read().split():
            with open(os.path.join(source, 'debian/patches', patch), 'rb') as p:
                subprocess.run(['patch', '-p1', '-s'], stdin=p, cwd=source, check=True)
    with open(os.path.join(source, 'debian/rules'), encoding='utf-8') as f:
        rules = f.read()
    cflags = re.search(r'^export CFLAGS \+=((?:.*\\\n)*.*)$', rules, re.M).group(1)
    cflags = ' '.join(cflags.replace('\\\n', ' ').split())
    subprocess.run(['./configure', '-q', f'CC={" ".join(compiler(root))}', f'CFLAGS={cflags}',
                    '--enable-threadsafe', '--enable-load-extension', '--enable-json',
                    '--enable-fts4', '--enable-fts5', '--disable-tcl', '--disable-readline',
                    '--disable-static'], cwd=source, check=True, stdout=subprocess.DEVNULL)
    subprocess.run(['make', f'-j{os.cpu_count()}', 'libsqlite3.la'], cwd=source, check=True,
                   stdout=subprocess.DEVNULL)
    library = os.path.join(source, '.libs/libsqlite3.so.0')
    _strip(library)
    # The same SQLite as Debian's: version and compile options, as the
    # host's python3.11 reports them with either library.
    report = ('import sqlite3; print(sqlite3.sqlite_version, *sorted(r[0] for r in '
              'sqlite3.connect(":memory:").execute("pragma compile_options")))')
    ours, debians = (subprocess.run([sys.executable, '-c', report], capture_output=True,
                                    text=True, check=True, env={**os.environ, **env}).stdout
                     for env in ({'LD_LIBRARY_PATH': os.path.dirname(library)}, {}))
    if ours != debians:
        raise RuntimeError(f'{library}: {ours} differs from Debian\'s {debians}')
    shutil.copyfile(library, built)
    shutil.copyfile(library, out)


def _strip(path):
    """Without its static symbol table and debug information, as Debian
    ships its libraries and modules (the dynamic symbols stay)."""
    subprocess.run(['strip', '--strip-unneeded', path], check=True)


def _readelf_versions(path):
    """({version defined: its parent or None}, in definition order;
    {soname: {version needed}}) of an ELF file."""
    out = subprocess.run(['readelf', '-V', '-W', path], capture_output=True, text=True,
                         check=True).stdout
    defined, needed, section, current, node = {}, {}, None, None, None
    for line in out.splitlines():
        if line.startswith('Version definition section'):
            section = 'd'
        elif line.startswith('Version needs section'):
            section = 'r'
        elif line.startswith('Version symbols section'):
            section = None
        elif section == 'd':
            m = re.search(r'Flags: (\S+)\s+Index: \d+\s+Cnt: \d+\s+Name: (\S+)', line)
            if m:
                node = m.group(2) if m.group(1) != 'BASE' else None
                if node:
                    defined[node] = None
            m = re.search(r'Parent 1: (\S+)', line)
            if m and node:
                defined[node] = m.group(1)
        elif section == 'r':
            m = re.search(r'File: (\S+)', line)
            if m:
                current = needed.setdefault(m.group(1), set())
            m = re.search(r'Name: (\S+)\s+Flags', line)
            if m and current is not None:
                current.add(m.group(1))
    return defined, needed


def glibc_version(name):
    """(2, 31) for 'GLIBC_2.31', None for any other version name."""
    m = re.fullmatch(r'GLIBC_(\d+)\.(\d+)(?:\.\d+)?', name)
    return (int(m.group(1)), int(m.group(2))) if m else None


def floor_of(root):
    """The newest GLIBC_x.y the root's libc defines."""
    defined, _ = _readelf_versions(os.path.join(root, ARCH_LIBS, 'libc.so.6'))
    return max(v for v in map(glibc_version, defined) if v)


def needs_above(path, floor):
    """The GLIBC versions newer than `floor` that an ELF file needs."""
    _, needed = _readelf_versions(path)
    return sorted({v for versions in needed.values() for v in versions
                   if (glibc_version(v) or (0, 0)) > floor})


def _debian_source(path):
    """(source package, version) of the Debian package that holds `path`
    (under /usr/lib or, as dpkg may know it on a merged /usr, /lib)."""
    owner = ''
    for candidate in dict.fromkeys([path, re.sub(r'^/usr/lib/', '/lib/', path)]):
        owner = subprocess.run(['dpkg', '-S', candidate], capture_output=True, text=True,
                               check=False).stdout.split(':')[0]
        if owner:
            break
    if not owner:
        return None
    return subprocess.run(['dpkg-query', '-W', '-f', '${source:Package} ${source:Version}',
                           owner], capture_output=True, text=True, check=True).stdout


def _host_library(soname):
    return os.path.join('/', ARCH_LIBS, soname)


def _static_archive(shared):
    """libX.a beside libX.so.N when the same Debian source and version built
    both (a -dev package of the same build)."""
    real = os.path.realpath(shared)
    name = os.path.basename(real).split('.so')[0]
    for directory in dict.fromkeys([os.path.dirname(real), '/' + ARCH_LIBS]):
        archive = os.path.join(directory, name + '.a')
        if os.path.exists(archive):
            source = _debian_source(os.path.realpath(archive))
            if source and source == _debian_source(real):
                return archive
    return None


def _default_exports(path):
    """{name: version or None} of the symbols a library exports by default
    (compatibility aliases, `name@VERSION`, left out)."""
    out = subprocess.run(['nm', '-D', '--defined-only', '--with-symbol-versions', path],
                         capture_output=True, text=True, check=True).stdout
    exports = {}
    for line in out.splitlines():
        fields = line.split()
        if len(fields) < 3 or fields[1] == 'A':
            continue  # the version nodes themselves
        name, _, version = fields[2].partition('@@')
        if '@' not in name:
            exports[name] = version or None
    return exports


def _version_script(path, exports):
    """A linker version script giving `exports` the versions they have in
    `path`, with its version nodes and their parents."""
    nodes, _ = _readelf_versions(path)
    by_version = {}
    for name, version in exports.items():
        by_version.setdefault(version, []).append(name)
    if not nodes:
        names = ' '.join(f'{n};' for n in sorted(by_version[None]))
        return f'{{ global: {names} local: *; }};\n'
    if None in by_version:
        raise RuntimeError(f'{path}: both versioned and unversioned exports')
    script = []
    for i, (node, parent) in enumerate(nodes.items()):
        names = ' '.join(f'{n};' for n in sorted(by_version.get(node, [])))
        body = f'global: {names} ' if names else ''
        local = 'local: *; ' if i == 0 else ''
        inherits = f' {parent}' if parent else ''
        script.append(f'{node} {{ {body}{local}}}{inherits};\n')
    return ''.join(script)


def _soname(path):
    out = subprocess.run(['readelf', '-d', '-W', path], capture_output=True, text=True,
                         check=True).stdout
    m = re.search(r'\(SONAME\)\s+Library soname: \[([^]]+)\]', out)
    return m.group(1) if m else os.path.basename(path)


def _relink(shared, archive, root, native, out):
    """`archive` linked into a shared library like `shared`, against the
    root's glibc; its other dependencies are those already in `native`.
    False when the archive's code cannot go into a shared library."""
    exports = _default_exports(shared)
    _, needed = _readelf_versions(shared)
    # Then what a static archive takes from its dependencies' archives but
    # their shared libraries do not export (libssl: libcrypto's WPACKET and
    # CBC helpers, which OpenSSL also builds into libssl.so): after the
    # shared libraries, so that only such internal helpers come from there.
    shared_dependencies, dependency_archives = [], []
    for soname in needed:
        if GLIBC_SONAMES.match(soname):
            continue
        shared_dependencies.append(f'-l:{soname}')
        dependency_archive = _static_archive(_host_library(soname))
        if dependency_archive:
            dependency_archives.append(dependency_archive)
    dependencies = shared_dependencies + dependency_archives
    with tempfile.NamedTemporaryFile('w', suffix='.map') as script:
        script.write(_version_script(shared, exports))
        script.flush()
        link = subprocess.run(
            [*compiler(root), f'-L{native}', '-shared', f'-Wl,-soname,{_soname(shared)}',
             f'-Wl,--version-script={script.name}', '-Wl,-O1', '-Wl,--as-needed', '-o', out,
             '-Wl,--whole-archive', archive, '-Wl,--no-whole-archive', *dependencies, '-lm',
             '-lpthread', '-ldl', '-lrt'], capture_output=True, text=True, check=False)
    if link.returncode != 0:
        if 'recompile with -fPIC' in link.stderr:
            return False  # an archive of code for executables only (ncurses)
        raise RuntimeError(f'linking {archive} failed: {link.stderr}')
    _strip(out)
    got = _default_exports(out)
    if got != exports:
        missing = sorted(set(exports.items()) - set(got.items()))[:5]
        extra = sorted(set(got.items()) - set(exports.items()))[:5]
        raise RuntimeError(f'{out}: relinked from {archive}, exports differ from {shared}: '
                           f'missing {missing}, extra {extra}')
    return True


def library_for_floor(resolved, root, floor, work, out):
    """Writes to `out` the copy of the host library `resolved` that fits the
    floor (its dependencies already beside `out`); returns how it was made."""
    if not needs_above(resolved, floor):
        shutil.copyfile(os.path.realpath(resolved), out)
        return 'the host\'s'
    name = os.path.basename(out)
    if name == 'libsqlite3.so.0':
        build_sqlite(root, work, out)
        exports, host = set(_default_exports(out)), set(_default_exports(resolved))
        api = {n for n in host if n.startswith('sqlite3_')}
        if not exports <= host or not api <= exports:
            raise RuntimeError(f'{out}: exports {sorted(exports - host)[:5]} that {resolved} '
                               f'does not, lacks {sorted(api - exports)[:5]}')
        return 'built from Debian\'s source'
    archive = _static_archive(resolved)
    if archive and _relink(resolved, archive, root, os.path.dirname(out), out):
        return f'relinked from {archive}'
    own = os.path.join(root, ARCH_LIBS, name)
    if os.path.exists(own) and not needs_above(own, floor):
        shutil.copyfile(os.path.realpath(own), out)
        return f'the root\'s {os.path.relpath(os.path.realpath(own), root)}'
    raise RuntimeError(f'{resolved} needs {needs_above(resolved, floor)}: no static archive '
                       f'of the same build, and the root has no {name}')


def check_tree(elf_paths, root, native):
    """Problems: each symbol version an ELF file needs that neither the
    floor's glibc (the root's libraries) nor the bundled library defines."""
    defined = {}
    problems = []
    for path in elf_paths:
        _, needed = _readelf_versions(path)
        for soname, versions in needed.items():
            if GLIBC_SONAMES.match(soname):
                provider = os.path.join(root, ARCH_LIBS, soname)
            else:
                provider = os.path.join(native, soname)
                if not os.path.exists(provider):
                    # a library of the package's own (auditwheel's .libs)
                    provider = next((os.path.join(d, soname) for d in _runpath_dirs(path)
                                     if os.path.exists(os.path.join(d, soname))), None)
                    if provider is None:
                        continue  # unresolved libraries are build_single_file's check
            if provider not in defined:
                defined[provider] = (set(_readelf_versions(provider)[0])
                                     if os.path.exists(provider) else set())
            missing = sorted(versions - defined[provider])
            if missing:
                problems.append(f'{path}: {soname} {", ".join(missing)}')
    return problems


def _runpath_dirs(path):
    out = subprocess.run(['readelf', '-d', '-W', path], capture_output=True, text=True,
                         check=True).stdout
    m = re.search(r'\((?:RUNPATH|RPATH)\)\s+Library r(?:un)?path: \[([^]]+)\]', out)
    if not m:
        return []
    origin = os.path.dirname(path)
    return [os.path.normpath(entry.replace('$ORIGIN', origin)) for entry in m.group(1).split(':')]
