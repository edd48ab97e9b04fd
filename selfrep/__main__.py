import sys

from selfrep.cli import main

sys.exit(main())
