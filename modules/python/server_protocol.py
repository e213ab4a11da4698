"""The command server's vocabulary and frame codec, Python side.

The same names as core/runtime/include/sky/runtime/server/protocol.h (message kinds,
the request's fields, the size limit, the server's start-up descriptors)
and launcher/programs.h (the program a command runs);
tests/launcher/server_vocabulary_test.cc checks each value, and round-trips
frames through this codec and the C++ one. docs/command-server.md describes
the protocol.

A frame is a little-endian u32 payload length, then the payload: one kind
byte and zero or more fields, each a little-endian u32 length and its bytes.
"""
import collections
import os
import resource
import signal
import stat
import struct

# -- message kinds (MessageKind) --
# Client -> server.
REQUEST = 'R'  # run a command: the fields below (+ REQUEST_DESCRIPTORS fds)
STATUS = 'S'  # describe yourself (answered with INFO)
STOP = 'Q'  # stop taking commands (answered with INFO)
# Server -> client.
MISMATCH = 'M'  # not taken, run it cold: reason, respawn (RESPAWN: start a fresh server)
STARTED = 'P'  # taken: the command's pid (its process group too)
EXITED = 'X'  # the command's exit code
KILLED = 'K'  # the signal number that ended the command
INFO = 'I'  # status text

# -- a REQUEST's fields, in order (RequestField) --
KEY_MATERIAL_FIELD = 0
CWD_FIELD = 1
UMASK_FIELD = 2  # octal
LIMITS_FIELD = 3  # "resource:soft:hard" joined by commas, RLIM_INFINITY unsigned
NICE_FIELD = 4
IGNORED_SIGNALS_FIELD = 5  # decimal numbers joined by commas
BLOCKED_SIGNALS_FIELD = 6  # the same
ARGC_FIELD = 7
FIRST_ARGV_FIELD = 8  # argc arguments, then the environment ("NAME=value" each)

REQUEST_DESCRIPTORS = 4  # stdin, stdout, stderr, the working directory
RESPAWN = '1'
MAX_PAYLOAD = 16 << 20  # a request holds the whole environment

# The descriptors a server process starts with: the key material to read,
# and the socket directory the client opened and checked.
MATERIAL_FD = 3
DIRECTORY_FD = 4

# What each command runs: the launcher's sky-mode program (kSkyCliProgram).
COLD_PROGRAM = 'import sky_native._cli as _cli\n_cli.main()\n'

# The key material's second line: SkyPilot's CLI, or a module run as
# `python -u -m MODULE` runs it (the prefix, then the module's name).
CLI_PROGRAM_LINE = 'program=sky'
MODULE_PROGRAM_PREFIX = 'program=python -u -m '

_U32 = struct.Struct('<I')
_RLIM_INFINITY_UNSIGNED = (1 << 64) - 1
_LAST_RESOURCE = 15  # RLIMIT_RTTIME: RLIM_NLIMITS is 16 on Linux


def encode(kind, *fields):
    """The bytes of one frame; fields are bytes or anything str() gives."""
    payload = kind.encode() + b''.join(
        _U32.pack(len(f)) + f for f in (
            x if isinstance(x, bytes) else str(x).encode() for x in fields))
    return _U32.pack(len(payload)) + payload


def payload_size(header):
    """The payload length a frame's first 4 bytes announce; ValueError when
    no side would accept it."""
    (size,) = _U32.unpack_from(header)
    if not 0 < size <= MAX_PAYLOAD:
        raise ValueError('bad frame length')
    return size


def decode(payload):
    """(kind, fields) of one payload (the bytes after the length);
    ValueError when a field runs past its end."""
    kind, fields, at = chr(payload[0]), [], 1
    while at < len(payload):
        if at + 4 > len(payload):
            raise ValueError('truncated field length')
        (size,) = _U32.unpack_from(payload, at)
        at += 4
        if at + size > len(payload):
            raise ValueError('field runs past the frame')
        fields.append(payload[at:at + size])
        at += size
    return kind, fields


def served_module(material):
    """The module a server of this key material runs (None: SkyPilot's
    CLI). The material's lines are each `LENGTH:TEXT`; the program's is the
    second."""
    lines, at = [], 0
    for _ in range(2):
        colon = material.index(b':', at)
        end = colon + 1 + int(material[at:colon])
        lines.append(material[colon + 1:end].decode())
        at = end + 1
    if lines[1].startswith(MODULE_PROGRAM_PREFIX):
        return lines[1][len(MODULE_PROGRAM_PREFIX):]
    if lines[1] != CLI_PROGRAM_LINE:
        raise ValueError(f'unknown program {lines[1]!r}')
    return None


class BadRequest(ValueError):
    """A request whose fields do not parse: answered 'malformed request'."""


Request = collections.namedtuple('Request', 'cwd umask limits niceness ignored blocked argv env')


def _decimal(field, what, low, high):
    text = field.decode('ascii', 'replace')
    if not text.lstrip('-').isdigit() or text.count('-') > 1 or not low <= int(text) <= high:
        raise BadRequest(f'{what} {text[:40]!r}')
    return int(text)


def parse_request(fields, fds):
    """The fields of a REQUEST after the key material, checked so that
    nothing can fail once the command's process is forked."""
    if len(fields) < FIRST_ARGV_FIELD:
        raise BadRequest(f'{len(fields)} fields')
    if len(fds) != REQUEST_DESCRIPTORS:
        raise BadRequest(f'{len(fds)} descriptors')
    argc = _decimal(fields[ARGC_FIELD], 'argument count', 1, len(fields) - FIRST_ARGV_FIELD)
    cwd = fields[CWD_FIELD]
    if not cwd.startswith(b'/') or b'\0' in cwd:
        raise BadRequest('working directory')
    umask_text = fields[UMASK_FIELD].decode('ascii', 'replace')
    if not umask_text or any(c not in '01234567' for c in umask_text) or int(umask_text, 8) > 0o777:
        raise BadRequest(f'umask {umask_text[:40]!r}')
    limits = parse_limits(fields[LIMITS_FIELD])
    niceness = _decimal(fields[NICE_FIELD], 'nice value', -20, 19)
    ignored = parse_signals(fields[IGNORED_SIGNALS_FIELD], 'ignored signal')
    blocked = parse_signals(fields[BLOCKED_SIGNALS_FIELD], 'blocked signal')
    argv = fields[FIRST_ARGV_FIELD:FIRST_ARGV_FIELD + argc]
    env = []
    for entry in fields[FIRST_ARGV_FIELD + argc:]:
        name, equals, value = entry.partition(b'=')
        if not name or not equals or b'\0' in entry:
            raise BadRequest('environment entry')
        env.append((name, value))
    if any(b'\0' in arg for arg in argv):
        raise BadRequest('argument')
    if not stat.S_ISDIR(os.fstat(fds[3]).st_mode):
        raise BadRequest('working directory descriptor')
    return Request(os.fsdecode(cwd), int(umask_text, 8), limits, niceness, ignored, blocked,
                   [os.fsdecode(a) for a in argv], env)


def parse_signals(field, what):
    """A set of signals: decimal numbers joined by commas, each one this
    system has."""
    numbers = set()
    for item in field.decode('ascii', 'replace').split(','):
        if item:
            numbers.add(_decimal(item.encode(), what, 1, signal.NSIG - 1))
    return numbers


def parse_limits(field):
    """The client's resource limits: {resource: (soft, hard)}, each
    "resource:soft:hard" with RLIM_INFINITY as its unsigned value."""
    limits = {}
    for item in field.decode('ascii', 'replace').split(','):
        if not item:
            continue
        parts = item.split(':')
        if len(parts) != 3 or not all(p.isdigit() and p.isascii() for p in parts):
            raise BadRequest(f'resource limit {item[:40]!r}')
        number, soft, hard = (int(x) for x in parts)
        if number > _LAST_RESOURCE or hard > _RLIM_INFINITY_UNSIGNED or soft > hard:
            raise BadRequest(f'resource limit {item[:40]!r}')
        limits[number] = tuple(resource.RLIM_INFINITY if v == _RLIM_INFINITY_UNSIGNED
                               else v for v in (soft, hard))
    return limits
