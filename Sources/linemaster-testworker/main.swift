print("testworker")
