"""The 12 functions: where SkyPilot defines them, the signature the native
versions implement, and what each depends on (for mock-aware fallback).

Imported at the start of every sky-native process: it imports nothing (not
even typing, which alone costs several milliseconds)."""

COMMON_UTILS = 'sky.utils.common_utils'
SUBPROCESS_UTILS = 'sky.utils.subprocess_utils'

_NO_DEFAULT = object()


class NativeFunction:
    """One function: `name`; `module`, the SkyPilot module that defines it
    (None for sky-native's own); `parameters`, (name, default or
    _NO_DEFAULT) pairs, all positional-or-keyword; `dependencies`, (module
    name, attribute) pairs: when one of them is replaced after SkyPilot's
    import (a test's mock), the native call defers to SkyPilot's Python."""

    __slots__ = ('name', 'module', 'parameters', 'dependencies')

    def __init__(self, name, module, parameters=(), dependencies=()):
        self.name = name
        self.module = module
        self.parameters = parameters
        self.dependencies = dependencies


_CPU_DEPENDENCIES = (
    ('os', 'getenv'), ('os', 'sched_getaffinity'), ('os.path', 'isfile'),
    ('builtins', 'open'), ('psutil', 'cpu_count'), (COMMON_UTILS, 'psutil'),
    (COMMON_UTILS, '_cpu_count'), (COMMON_UTILS, '_get_cgroup_cpu_limit'),
    (COMMON_UTILS, '_is_cgroup_v2'), (COMMON_UTILS, 'os'))
_MEMORY_DEPENDENCIES = (
    ('os', 'getenv'), ('os.path', 'isfile'), ('builtins', 'open'),
    ('psutil', 'virtual_memory'), (COMMON_UTILS, 'psutil'),
    (COMMON_UTILS, '_mem_size_gb'), (COMMON_UTILS, '_get_cgroup_memory_limit'),
    (COMMON_UTILS, '_is_cgroup_v2'), (COMMON_UTILS, 'os'))
_THREAD_DEPENDENCIES = (('os', 'cpu_count'), (SUBPROCESS_UTILS, 'os'),
                        (SUBPROCESS_UTILS, '_get_thread_multiplier'))

FUNCTIONS = (
    NativeFunction('read_last_n_lines', COMMON_UTILS,
                   (('file_path', _NO_DEFAULT), ('n', _NO_DEFAULT),
                    ('chunk_size', 8192), ('encoding', 'utf-8'),
                    ('errors', 'replace')),
                   (('builtins', 'open'), ('os.path', 'exists'))),
    NativeFunction('hash_file', COMMON_UTILS,
                   (('path', _NO_DEFAULT), ('hash_alg', _NO_DEFAULT)),
                   (('builtins', 'open'), ('hashlib', 'new'),
                    (COMMON_UTILS, 'hashlib'))),
    NativeFunction('find_free_port', COMMON_UTILS,
                   (('start_port', _NO_DEFAULT),),
                   (('socket', 'socket'), (COMMON_UTILS, 'socket'))),
    NativeFunction('base36_encode', COMMON_UTILS, (('hex_str', _NO_DEFAULT),)),
    NativeFunction('format_float', COMMON_UTILS,
                   (('num', _NO_DEFAULT), ('precision', 1))),
    NativeFunction('truncate_long_string', COMMON_UTILS,
                   (('s', _NO_DEFAULT), ('max_length', 35),
                    ('truncate_middle', False))),
    NativeFunction('get_cpu_count', COMMON_UTILS, (), _CPU_DEPENDENCIES),
    NativeFunction('get_mem_size_gb', COMMON_UTILS, (), _MEMORY_DEPENDENCIES),
    NativeFunction('get_parallel_threads', SUBPROCESS_UTILS,
                   (('cloud_str', None),), _THREAD_DEPENDENCIES),
    NativeFunction('get_max_workers_for_file_mounts', SUBPROCESS_UTILS,
                   (('common_file_mounts', _NO_DEFAULT), ('cloud_str', None)),
                   _THREAD_DEPENDENCIES +
                   (('resource', 'getrlimit'), ('os', 'listdir'),
                    ('os.path', 'isdir'),
                    (SUBPROCESS_UTILS, 'resource'),
                    (SUBPROCESS_UTILS, 'get_parallel_threads'))),
    NativeFunction('is_process_alive', None),
    NativeFunction('estimate_fd_for_directory', None),
)

NAMES = tuple(f.name for f in FUNCTIONS)


def signature_mismatch(function, expected):
    """Why `function` does not have the signature the native version
    implements, or None when it has it. Reads the code object directly:
    cheaper than inspect.signature on the start-up path."""
    code = getattr(function, '__code__', None)
    if code is None:
        return f'{expected.name} is not a Python function'
    if code.co_kwonlyargcount or code.co_flags & 0x0C:  # *args / **kwargs
        return f'{expected.name} takes variadic or keyword-only arguments'
    names = code.co_varnames[:code.co_argcount]
    wanted = tuple(p for p, _ in expected.parameters)
    if names != wanted:
        return (f'{expected.name} has parameters ({", ".join(names)}), '
                f'expected ({", ".join(wanted)})')
    defaults = function.__defaults__ or ()
    wanted_defaults = tuple(
        d for _, d in expected.parameters if d is not _NO_DEFAULT)
    if [(type(d), d) for d in defaults] != [(type(d), d) for d in wanted_defaults]:
        return (f'{expected.name} has defaults {defaults!r}, '
                f'expected {wanted_defaults!r}')
    return None
