"""`python -m sky_native [--json]`: the installation check, what
`sky-native --native-info` prints."""
import sys

from sky_native import _native_info

_native_info.main(sys.argv[1:], usage='usage: python -m sky_native [--json]')
