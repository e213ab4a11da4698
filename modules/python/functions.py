"""The 12 functions, each described once: where SkyPilot defines it, its
parameters, the helpers the native version stands in for, what it depends
on at call time (for mock-aware fallback) and which of SkyPilot's
implementations it was verified against (verified_code.py).

The hook, the fallback, the diagnostics, sky.utils.rust_fallback and the
table of docs/functions.md all read this description; the C++ bodies are listed in
modules/src/bindings.h (kBindings), checked against it name by name and
parameter by parameter when the module is made. Imported at the start of every
sky-native process: it imports nothing (not even typing, which alone costs
several milliseconds)."""

COMMON_UTILS = 'sky.utils.common_utils'
SUBPROCESS_UTILS = 'sky.utils.subprocess_utils'

NO_DEFAULT = object()


class NativeFunction:
    """One function.

    `name`; `module`, the SkyPilot module that defines it (None for
    sky-native's own); `summary`, the first line of its docstring;
    `parameters`, (name, default or NO_DEFAULT) pairs, all
    positional-or-keyword (the native binding takes them from here, defaults
    included); `helpers`, names of functions in `module` whose work the
    native version does too: their code must be verified as well (the
    verified fingerprints of every name in code_names() are in
    verified_code.CODE). When anything the function looks up at call time
    differs from its value when sky-native started (a test's mock), the
    native call defers to SkyPilot's Python. For SkyPilot's functions the
    hook derives those names from the code objects of the function and its
    helpers (replacement.code_dependencies: every global or builtin they name and
    the attributes they name of the modules reached); `dependencies` adds
    (module name, attribute) pairs looked up by the Python functions that
    code calls and the native code does not (genericpath's os.stat behind
    os.path.exists); for sky-native's own functions it lists all of them (their
    Python versions are not loaded at start-up). `state` names module
    globals the function assigns itself, which the native code reads and
    writes as SkyPilot's does: never dependencies.
    tests/python/test_dependencies.py checks all of it against the code.
    `reason` is the current status (a status.Reason), set by the hook when
    it decides what SkyPilot's module holds (None until then)."""

    __slots__ = ('name', 'module', 'summary', 'parameters', 'helpers',
                 'dependencies', 'state', 'reason')

    def __init__(self, name, module, summary, parameters=(), helpers=(),
                 dependencies=(), state=()):
        self.name = name
        self.module = module
        self.summary = summary
        self.parameters = parameters
        self.helpers = helpers
        self.dependencies = dependencies
        self.state = state
        self.reason = None

    def qualified(self, name=None):
        """'module.name' of the function (or of one of its helpers)."""
        return f'{self.module}.{name or self.name}'

    def code_names(self):
        """The qualified names whose code decides whether it is replaced."""
        return (self.qualified(),) + tuple(self.qualified(h) for h in self.helpers)

    def signature(self):
        """'name(a, b=1)', as Python would print it."""
        parameters = ', '.join(p if d is NO_DEFAULT else f'{p}={d!r}'
                               for p, d in self.parameters)
        return f'{self.name}({parameters})'

    def docstring(self):
        """The native function's first __doc__ paragraph (introspection.py
        adds SkyPilot's docstring)."""
        origin = (f"native version of SkyPilot's {self.module}.{self.name}" if self.module
                  else "sky-native's own")
        return f'{self.summary} ({origin}).'


PYTHON_IMPL = 'sky_native._python_impl'

# Looked up by the stdlib functions SkyPilot's code calls: os.path.exists,
# isfile and isdir call os.stat (genericpath's global os); os.getenv reads
# os.environ.
_STAT = (('os', 'stat'),)
_ENVIRON = (('os', 'environ'),)

FUNCTIONS = (
    NativeFunction('read_last_n_lines', COMMON_UTILS,
                   'The last n lines of a file, decoded',
                   (('file_path', NO_DEFAULT), ('n', NO_DEFAULT),
                    ('chunk_size', 8192), ('encoding', 'utf-8'),
                    ('errors', 'replace')),
                   dependencies=_STAT),
    NativeFunction('hash_file', COMMON_UTILS,
                   'A hashlib object fed with the whole file',
                   (('path', NO_DEFAULT), ('hash_alg', NO_DEFAULT))),
    NativeFunction('find_free_port', COMMON_UTILS,
                   'The first port from start_port up that an IPv4 TCP socket'
                   ' can bind on 0.0.0.0',
                   (('start_port', NO_DEFAULT),)),
    NativeFunction('base36_encode', COMMON_UTILS,
                   'int(hex_str, 16) in base 36 (0-9a-z); raises ValueError '
                   'for a negative value, where SkyPilot never returns',
                   (('hex_str', NO_DEFAULT),)),
    NativeFunction('format_float', COMMON_UTILS,
                   'str(num) for an int, a whole float without decimals, else'
                   ' fixed-point with `precision` decimals',
                   (('num', NO_DEFAULT), ('precision', 1))),
    NativeFunction('truncate_long_string', COMMON_UTILS,
                   "s cut at word boundaries (or in the middle) with '...' "
                   "appended",
                   (('s', NO_DEFAULT), ('max_length', 35),
                    ('truncate_middle', False))),
    NativeFunction('get_cpu_count', COMMON_UTILS,
                   'SKYPILOT_POD_CPU_CORE_LIMIT, else the logical CPUs '
                   'limited by the affinity mask and the cgroup quota',
                   (),
                   ('_cpu_count', '_get_cgroup_cpu_limit', '_is_cgroup_v2'),
                   _STAT + _ENVIRON),
    NativeFunction('get_mem_size_gb', COMMON_UTILS,
                   'SKYPILOT_POD_MEMORY_GB_LIMIT or '
                   'SKYPILOT_POD_MEMORY_BYTES_LIMIT, else the total memory '
                   'limited by the cgroup, in GiB',
                   (),
                   ('_mem_size_gb', '_get_cgroup_memory_limit', '_is_cgroup_v2'),
                   _STAT + _ENVIRON),
    NativeFunction('get_parallel_threads', SUBPROCESS_UTILS,
                   'max(4, os.cpu_count() - 1), times 4 for Kubernetes',
                   (('cloud_str', None),), ('_get_thread_multiplier',)),
    NativeFunction('get_max_workers_for_file_mounts', SUBPROCESS_UTILS,
                   'Workers for file-mount syncs from the soft NOFILE limit '
                   'and the largest source directory',
                   (('common_file_mounts', NO_DEFAULT), ('cloud_str', None)),
                   ('_get_thread_multiplier', 'get_parallel_threads'),
                   _STAT, ('_fd_limit_warning_shown',)),
    NativeFunction('is_process_alive', None,
                   'True when a process with this pid exists and is not a '
                   'zombie; pids <= 0 and above 2**31 - 1 give False',
                   (('pid', NO_DEFAULT),),
                   dependencies=(('operator', 'index'), ('os', 'kill'), ('builtins', 'open'),
                                 ('builtins', 'OSError'), ('builtins', 'PermissionError'),
                                 ('builtins', 'ProcessLookupError'),
                                 (PYTHON_IMPL, 'operator'), (PYTHON_IMPL, 'os'),
                                 (PYTHON_IMPL, '_PID_MAX'), (PYTHON_IMPL, 'open'),
                                 (PYTHON_IMPL, 'OSError'), (PYTHON_IMPL, 'PermissionError'),
                                 (PYTHON_IMPL, 'ProcessLookupError'))),
    NativeFunction('estimate_fd_for_directory', None,
                   '5 x the number of entries directly inside the directory; '
                   '0 on any OSError',
                   (('path', NO_DEFAULT),),
                   dependencies=(('os', 'fspath'), ('os', 'listdir'), ('builtins', 'isinstance'),
                                 ('builtins', 'str'), ('builtins', 'TypeError'),
                                 ('builtins', 'type'), ('builtins', 'len'),
                                 ('builtins', 'OSError'),
                                 (PYTHON_IMPL, 'os'), (PYTHON_IMPL, 'isinstance'),
                                 (PYTHON_IMPL, 'str'), (PYTHON_IMPL, 'TypeError'),
                                 (PYTHON_IMPL, 'type'), (PYTHON_IMPL, 'len'),
                                 (PYTHON_IMPL, 'OSError'))),
)

NAMES = tuple(f.name for f in FUNCTIONS)
BY_NAME = {f.name: f for f in FUNCTIONS}
SKYPILOT_MODULES = tuple(sorted({f.module for f in FUNCTIONS if f.module}))
