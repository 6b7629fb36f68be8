print("linemaster-bench")
