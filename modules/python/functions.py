"""The 12 functions, each described once: where SkyPilot defines it, its
parameters, the helpers the native version stands in for, what it depends
on at call time (for mock-aware fallback) and which of SkyPilot's
implementations it was verified against (verified_code.py).

The hook, the fallback, the diagnostics, sky.utils.rust_fallback and the
README's table all read this description. Imported at the start of every
sky-native process: it imports nothing (not even typing, which alone costs
several milliseconds)."""

COMMON_UTILS = 'sky.utils.common_utils'
SUBPROCESS_UTILS = 'sky.utils.subprocess_utils'

NO_DEFAULT = object()


class NativeFunction:
    """One function.

    `name`; `module`, the SkyPilot module that defines it (None for
    sky-native's own); `parameters`, (name, default or NO_DEFAULT) pairs,
    all positional-or-keyword; `helpers`, names of functions in `module`
    whose work the native version does too: their code must be verified as
    well; `dependencies`, (module name, attribute) pairs the code looks up
    at call time: when one of them differs from its value when sky-native
    started (a test's mock), the native call defers to SkyPilot's Python."""

    __slots__ = ('name', 'module', 'parameters', 'helpers', 'dependencies')

    def __init__(self, name, module, parameters=(), helpers=(), dependencies=()):
        self.name = name
        self.module = module
        self.parameters = parameters
        self.helpers = helpers
        self.dependencies = dependencies

    def qualified(self, name=None):
        """'module.name' of the function (or of one of its helpers)."""
        return f'{self.module}.{name or self.name}'

    def code_names(self):
        """The qualified names whose code decides whether it is replaced."""
        return (self.qualified(),) + tuple(self.qualified(h) for h in self.helpers)


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
                   (('file_path', NO_DEFAULT), ('n', NO_DEFAULT),
                    ('chunk_size', 8192), ('encoding', 'utf-8'),
                    ('errors', 'replace')),
                   dependencies=(('builtins', 'open'), ('os.path', 'exists'))),
    NativeFunction('hash_file', COMMON_UTILS,
                   (('path', NO_DEFAULT), ('hash_alg', NO_DEFAULT)),
                   dependencies=(('builtins', 'open'), ('hashlib', 'new'),
                                 (COMMON_UTILS, 'hashlib'))),
    NativeFunction('find_free_port', COMMON_UTILS,
                   (('start_port', NO_DEFAULT),),
                   dependencies=(('socket', 'socket'), (COMMON_UTILS, 'socket'))),
    NativeFunction('base36_encode', COMMON_UTILS, (('hex_str', NO_DEFAULT),)),
    NativeFunction('format_float', COMMON_UTILS,
                   (('num', NO_DEFAULT), ('precision', 1))),
    NativeFunction('truncate_long_string', COMMON_UTILS,
                   (('s', NO_DEFAULT), ('max_length', 35),
                    ('truncate_middle', False))),
    NativeFunction('get_cpu_count', COMMON_UTILS, (),
                   ('_cpu_count', '_get_cgroup_cpu_limit', '_is_cgroup_v2'),
                   _CPU_DEPENDENCIES),
    NativeFunction('get_mem_size_gb', COMMON_UTILS, (),
                   ('_mem_size_gb', '_get_cgroup_memory_limit', '_is_cgroup_v2'),
                   _MEMORY_DEPENDENCIES),
    NativeFunction('get_parallel_threads', SUBPROCESS_UTILS,
                   (('cloud_str', None),), ('_get_thread_multiplier',),
                   _THREAD_DEPENDENCIES),
    NativeFunction('get_max_workers_for_file_mounts', SUBPROCESS_UTILS,
                   (('common_file_mounts', NO_DEFAULT), ('cloud_str', None)),
                   ('_get_thread_multiplier', 'get_parallel_threads'),
                   _THREAD_DEPENDENCIES +
                   (('resource', 'getrlimit'), ('os', 'listdir'),
                    ('os.path', 'isdir'),
                    (SUBPROCESS_UTILS, 'resource'),
                    (SUBPROCESS_UTILS, 'get_parallel_threads'))),
    NativeFunction('is_process_alive', None, (('pid', NO_DEFAULT),)),
    NativeFunction('estimate_fd_for_directory', None, (('path', NO_DEFAULT),)),
)

NAMES = tuple(f.name for f in FUNCTIONS)
BY_NAME = {f.name: f for f in FUNCTIONS}
SKYPILOT_MODULES = tuple(sorted({f.module for f in FUNCTIONS if f.module}))
