print("examples: see README")
