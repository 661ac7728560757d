from folio.cli import run

run()
