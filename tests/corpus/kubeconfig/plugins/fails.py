import sys

sys.stderr.write("login expired: run the login command again\n")
sys.exit(3)
