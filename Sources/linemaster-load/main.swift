print("linemaster-load")
