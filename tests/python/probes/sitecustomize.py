"""Loaded through PYTHONPATH by test_processes_use_native: every Python
process of the run reports, once SkyPilot's modules are imported, which
implementation its SkyPilot modules hold."""
import atexit
import json
import os
import sys
import threading
import time

_REPORT_DIR = os.environ.get('SKY_NATIVE_PROBE_DIR')
_MODULES = ('sky.utils.common_utils', 'sky.utils.subprocess_utils')


def _imported(name):
    # A module is in sys.modules while it is still executing; the native
    # functions are put in place when its import has finished.
    module = sys.modules.get(name)
    spec = getattr(module, '__spec__', None)
    return module is not None and not getattr(spec, '_initializing', False)


def _start_time():
    with open('/proc/self/stat', encoding='ascii') as f:
        ticks = int(f.read().rsplit(')', 1)[1].split()[19])
    return ticks / os.sysconf('SC_CLK_TCK')


def _report():
    if not all(_imported(m) for m in _MODULES):
        return False
    import sky_native
    from sky_native import _functions
    held = {
        f.name: ('native' if getattr(sys.modules[f.module], f.name)
                 is getattr(sky_native, f.name, None) else 'python')
        for f in _functions.FUNCTIONS if f.module
    }
    # Calling through SkyPilot's module attribute exercises the function.
    common_utils = sys.modules['sky.utils.common_utils']
    report = {
        'pid': os.getpid(),
        'argv': sys.argv,
        # The command line as started (sys.argv[0] is '-m' while `-m`
        # imports the module's package).
        'orig_argv': getattr(sys, 'orig_argv', sys.argv),
        'executable': sys.executable,
        'functions': held,
        'cpu_count': common_utils.get_cpu_count(),
        # When the process started and when it had SkyPilot imported, in
        # seconds since boot.
        'started': _start_time(),
        'imported': time.clock_gettime(time.CLOCK_BOOTTIME),
    }
    path = os.path.join(_REPORT_DIR, f'{os.getpid()}.json')
    with open(path + '.tmp', 'w', encoding='utf-8') as f:
        json.dump(report, f)
    os.replace(path + '.tmp', path)
    return True


def _poll():
    while not _report():
        time.sleep(0.1)


# Under sky-native, or a python with the wheel (its start-up module is
# imported by then).
if _REPORT_DIR and ('sky_native' in sys.builtin_module_names
                    or '_sky_native_startup' in sys.modules):
    atexit.register(_report)
    threading.Thread(target=_poll, daemon=True, name='sky-native-probe').start()
