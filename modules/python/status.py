"""What SkyPilot's modules hold for each function and why: a typed reason
(Why and Reason), read by get_backend_info() and by the installation check
(native_info.py).

Imported only where a reason is made or read: when one of SkyPilot's modules
is imported (which has imported enum already) or when asked; a process that
never imports SkyPilot does not pay for enum.
"""
import enum
import sys

import sky_native
from sky_native import _functions as functions
from sky_native import _replacement as replacement


class Why(enum.Enum):
    """Why a function's module holds what it holds."""
    REPLACED = enum.auto()      # verified code, flag on: the native function
    TURNED_OFF = enum.auto()    # verified code (or sky-native's own), flag off
    UNVERIFIED = enum.auto()    # code not verified for this release
    UNDEFINED = enum.auto()     # this release does not define it
    NOT_IMPORTED = enum.auto()  # its module is not imported yet
    REASSIGNED = enum.auto()    # replaced, then set to something else
    OWN = enum.auto()           # sky-native's own function, native


class Reason:
    """A Why and what it is about: `subject` is the module (REPLACED,
    NOT_IMPORTED) or the qualified name (UNVERIFIED, UNDEFINED,
    REASSIGNED); `value` what the name was set to (REASSIGNED). str() is the
    text the installation check prints."""

    __slots__ = ('why', 'subject', 'value')

    def __init__(self, why, subject=None, value=None):
        self.why = why
        self.subject = subject
        self.value = value

    @property
    def safe(self):
        """Keeping SkyPilot's Python for this reason is no fault."""
        return self.why in (Why.UNVERIFIED, Why.UNDEFINED)

    @property
    def verified(self):
        """SkyPilot's code for it is code the native version was verified
        against (whether or not the flag let it be replaced)."""
        return self.why in (Why.REPLACED, Why.TURNED_OFF)

    def __str__(self):
        why = self.why
        if why is Why.REPLACED:
            return f'replaced in {self.subject}'
        if why is Why.TURNED_OFF:
            return 'turned off by the flag'
        if why is Why.UNVERIFIED:
            return (f'{self.subject}: code not verified for this release on Python '
                    f'{sys.version_info[0]}.{sys.version_info[1]}')
        if why is Why.UNDEFINED:
            return f'{self.subject}: not defined in this release'
        if why is Why.NOT_IMPORTED:
            return f'{self.subject} not imported yet'
        if why is Why.REASSIGNED:
            return f'{self.subject} was set to {self.value!r} after the replacement'
        return 'sky-native function'

    def __repr__(self):
        return f'<Reason {self.why.name}: {self}>'


def function_status():
    """name -> (backend, Reason), from the objects installed now: what
    SkyPilot's modules hold (sky-native's own functions: what
    sky.utils.rust_fallback hands out)."""
    status = {}
    for function in functions.FUNCTIONS:
        native = getattr(sky_native, function.name)
        if function.module is None:
            rust_fallback = sys.modules.get('sky.utils.rust_fallback')
            held = (getattr(rust_fallback, function.name) if rust_fallback
                    else replacement.implementation(function.name))
            status[function.name] = (
                ('native', Reason(Why.OWN)) if held is native else
                ('python', Reason(Why.TURNED_OFF)))
            continue
        module = sys.modules.get(function.module)
        if module is None:
            status[function.name] = ('python', Reason(Why.NOT_IMPORTED, function.module))
            continue
        held = getattr(module, function.name, None)
        reason = function.reason or Reason(Why.UNDEFINED, function.qualified())
        if held is None:
            # rust_fallback hands out the native one: SkyPilot has none.
            status[function.name] = ('native', reason)
            continue
        if held is native:
            backend = 'native'
        else:
            backend = 'python'
            if reason.why is Why.REPLACED:
                reason = Reason(Why.REASSIGNED, function.qualified(), held)
        status[function.name] = (backend, reason)
    return status


def backend_info():
    """get_backend_info(): 'backend' is 'native' when SkyPilot holds at least
    one native function; 'available' is True when some of the installed
    SkyPilot's code is code the native versions were verified against."""
    status = function_status()
    skypilot = {name: held for name, held in status.items()
                if functions.BY_NAME[name].module}
    return {
        'backend': 'native' if any(
            backend == 'native' and reason.why is not Why.UNDEFINED
            for backend, reason in skypilot.values()) else 'python',
        'version': sky_native.__version__,
        'available': any(reason.verified for _, reason in skypilot.values()),
        'functions': {name: backend for name, (backend, _) in status.items()},
    }
