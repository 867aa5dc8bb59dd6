from framer.cli.main import main

raise SystemExit(main())
