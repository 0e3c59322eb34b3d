from photoarchive.cli import main

raise SystemExit(main())
