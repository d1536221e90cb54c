from genfactory.cli import main

main()
