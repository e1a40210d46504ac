import sys

from trnport.app.cli.main import main

sys.exit(main())
