from outrank.cli.main import run

run()
