import time

time.sleep(600)  # a login that never completes
