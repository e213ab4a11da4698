"""`sky-native --native-info [--json]`: the installation check.

Prints what sky-native runs with and which implementation SkyPilot gets for
each function; exits 1 when something is broken (SkyPilot cannot be
imported, or a function that should be native is not).
"""
import json
import os
import ssl
import sys

import sky_native
from sky_native import _functions
from sky_native import _replacement
from sky_native import _status

USAGE = 'usage: sky-native --native-info [--json]'


def _libpython():
    """The libpython this process runs on, from its memory map."""
    try:
        with open('/proc/self/maps', encoding='utf-8') as maps:
            for line in maps:
                path = line.split(maxsplit=5)[-1].strip()
                if 'libpython' in os.path.basename(path):
                    return path
    except OSError:
        pass
    import sysconfig
    return (f'{sysconfig.get_config_var("LIBRARY")} linked statically into '
            f'{sys.executable}')


def _tls_certificates():
    """Where HTTPS certificates come from for SkyPilot's requests."""
    for variable in ('REQUESTS_CA_BUNDLE', 'CURL_CA_BUNDLE', 'SSL_CERT_FILE'):
        if os.environ.get(variable):
            return f'{variable}={os.environ[variable]}'
    try:
        import certifi
        return f'certifi bundle {certifi.where()}'
    except ImportError:
        paths = ssl.get_default_verify_paths()
        return f'OpenSSL default {paths.cafile or paths.capath}'


def _skypilot():
    """(version, location, error) after importing SkyPilot's two modules."""
    try:
        # Importing them is what installs the replacements.
        import sky
        __import__(_functions.COMMON_UTILS)
        __import__(_functions.SUBPROCESS_UTILS)
    except Exception as e:
        return None, None, f'{type(e).__name__}: {e}'
    return sky.__version__, os.path.dirname(sky.__file__), None


def collect():
    version, location, error = _skypilot()
    enabled = _replacement.native_enabled()
    status = _status.function_status()
    problems = []
    if error:
        problems.append(f'SkyPilot cannot be imported: {error}')
    elif enabled:
        # Code not verified for this release keeps SkyPilot's Python by
        # design; anything else that is not native went wrong.
        problems += [
            f'{name}: {reason}' for name, (backend, reason) in status.items()
            if backend != 'native' and not reason.safe
        ]
    flag = {name: os.environ.get(name) for name in _replacement.FLAGS}
    # Set by the single file's launcher: the unpacked copy it runs from.
    package = getattr(sky_native, '_package', None)
    if package is not None:
        problems += [f'copy: {p}' for p in package['problems']]
    return {
        'sky_native_version': sky_native.__version__,
        'libpython': _libpython(),
        'python_version': sys.version.split()[0],
        'executable': sys.executable,
        'prefix': sys.prefix,
        'sys_path': [p for p in sys.path if p],
        'skypilot_version': version,
        'skypilot_location': location,
        'native_enabled': enabled,
        'flags': flag,
        'functions': {
            name: {'backend': backend, 'reason': str(reason)}
            for name, (backend, reason) in status.items()
        },
        'tls_certificates': _tls_certificates(),
        'package': package,
        'problems': problems,
        'ok': not problems,
    }


def _print_text(report):
    flags = ', '.join(f'{k}={v}' if v is not None else f'{k} unset'
                      for k, v in report['flags'].items())
    lines = [
        f'sky-native {report["sky_native_version"]}',
        f'python:      {report["python_version"]} ({report["libpython"]})',
        f'executable:  {report["executable"]}',
        f'prefix:      {report["prefix"]}',
        'sys.path:',
        *(f'  {p}' for p in report['sys_path']),
        f'skypilot:    {report["skypilot_version"]} ({report["skypilot_location"]})',
        f'native:      {"on" if report["native_enabled"] else "off"} ({flags})',
        'functions:',
        *(f'  {name:32} {f["backend"]:7} {f["reason"]}'
          for name, f in report['functions'].items()),
        f'tls:         {report["tls_certificates"]}',
    ]
    package = report['package']
    if package is not None:
        state = 'intact' if package['intact'] else 'DAMAGED (repair: sky-native --native-repair)'
        lines += [
            f'single file: {package["single_file"]}',
            f'build id:    {package["build_id"]}',
            f'copy:        {package["cache_dir"]} ({state})',
        ]
    lines += [f'problem:     {p}' for p in report['problems']]
    lines.append('status:      ok' if report['ok'] else 'status:      BROKEN')
    print('\n'.join(lines))


def main(args=None, usage=USAGE):
    """`args`: the check's own arguments (the launcher's after --native-info)."""
    args = sys.argv[2:] if args is None else args
    if args not in ([], ['--json']):
        print(usage, file=sys.stderr)
        sys.exit(2)
    report = collect()
    if args == ['--json']:
        print(json.dumps(report, indent=2))
    else:
        _print_text(report)
    sys.exit(0 if report['ok'] else 1)
