import sys

from trnport.app.cli.main import ending, main

sys.exit(ending(main()))
