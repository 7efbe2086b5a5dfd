#!/usr/bin/python3
# Vars reach scripts as environment variables; HELLO_HOME and GREETING_LINE are the stalk's env.
import os

home = os.environ["HELLO_HOME"]
os.makedirs(home, exist_ok=True)
with open(os.path.join(home, "greeting.txt"), "w") as out:
    out.write(f"greeting={os.environ['greeting']}\n")
    out.write(f"who={os.environ['who']}\n")
    out.write(f"line={os.environ['GREETING_LINE']}\n")
print(f"wrote {home}/greeting.txt for {os.environ['who']}")
