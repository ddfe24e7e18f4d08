print("echo server: not built yet")
