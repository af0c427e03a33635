import sys

from srs_scan.cli import main

sys.exit(main())
