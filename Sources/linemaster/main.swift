print("linemaster")
