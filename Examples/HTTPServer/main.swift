print("http server: not built yet")
