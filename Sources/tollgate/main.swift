import TollgateServer
print("x")
