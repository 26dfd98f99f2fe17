/**
 * Control-connection bytes recorded on the wire between stock iperf3 3.12
 * (`iperf3 -s` and `iperf3 -c 127.0.0.1 -t 1`, then `-u -l 100 -t 1`) through a
 * logging proxy, both directions, whole.
 *
 * @module
 */

function bytes(base64: string): Uint8Array {
  return Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
}

/** What the client sent (TCP test). */
export const TCP_CLIENT: Uint8Array = bytes(
  "cTR4ZG5kd3oybGtzcXVqaWN1bmR2am9xNjVwenN4YW1oZGd2AAAAAHt7InRjcCI6dHJ1ZSwib21pdCI6MCwidGlt" +
    "ZSI6MSwibnVtIjowLCJibG9ja2NvdW50IjowLCJwYXJhbGxlbCI6MSwibGVuIjoxMzEwNzIsInBhY2luZ190aW1l" +
    "ciI6MTAwMCwiY2xpZW50X3ZlcnNpb24iOiIzLjEyIn0EAAABF3siY3B1X3V0aWxfdG90YWwiOjkuODg4MzQyNzEw" +
    "MTEzNDgsImNwdV91dGlsX3VzZXIiOjAuNTc4NDQ4MTI2ODg0MTU2NywiY3B1X3V0aWxfc3lzdGVtIjo5LjMwOTk5" +
    "MDU5MTIxNzE5LCJzZW5kZXJfaGFzX3JldHJhbnNtaXRzIjoxLCJjb25nZXN0aW9uX3VzZWQiOiJiYnIiLCJzdHJl" +
    "YW1zIjpbeyJpZCI6MSwiYnl0ZXMiOjExMjU5MDg0ODAsInJldHJhbnNtaXRzIjowLCJqaXR0ZXIiOjAsImVycm9y" +
    "cyI6MCwicGFja2V0cyI6MCwic3RhcnRfdGltZSI6MCwiZW5kX3RpbWUiOjEuMDAwMX1dfRA=",
);

/** What the server sent (TCP test). */
export const TCP_SERVER: Uint8Array = bytes(
  "CQoBAg0AAAFDeyJjcHVfdXRpbF90b3RhbCI6MjUuOTAxNTI0MDM1MDY2MDkyLCJjcHVfdXRpbF91c2VyIjoyLjMy" +
    "MTM2NTI1NzEyMjk3ODYsImNwdV91dGlsX3N5c3RlbSI6MjMuNTgwMTU4Nzc3OTQzMTEyLCJzZW5kZXJfaGFzX3Jl" +
    "dHJhbnNtaXRzIjoxODQ0Njc0NDA3MzcwOTU1MTYxNSwiY29uZ2VzdGlvbl91c2VkIjoiYmJyIiwic3RyZWFtcyI6" +
    "W3siaWQiOjEsImJ5dGVzIjoxMTIzMTg2ODcwLCJyZXRyYW5zbWl0cyI6MTg0NDY3NDQwNzM3MDk1NTE2MTUsImpp" +
    "dHRlciI6MCwiZXJyb3JzIjowLCJwYWNrZXRzIjowLCJzdGFydF90aW1lIjowLCJlbmRfdGltZSI6MS4wNDYyMDR9" +
    "XX0O",
);

/** What the client sent (UDP test). */
export const UDP_CLIENT: Uint8Array = bytes(
  "N215ZzJvMnFpcnEyaWd6b2VkaTRxaW9yajVteTY1aDM0b3p2AAAAAIx7InVkcCI6dHJ1ZSwib21pdCI6MCwidGlt" +
    "ZSI6MSwibnVtIjowLCJibG9ja2NvdW50IjowLCJwYXJhbGxlbCI6MSwibGVuIjoxMDAsImJhbmR3aWR0aCI6MTA0" +
    "ODU3NiwicGFjaW5nX3RpbWVyIjoxMDAwLCJjbGllbnRfdmVyc2lvbiI6IjMuMTIifQQAAAETeyJjcHVfdXRpbF90" +
    "b3RhbCI6OC4zNTAwNjc5NzUwMTQyOCwiY3B1X3V0aWxfdXNlciI6Mi4xNjM5MTExNTEyNTA4NjQ0LCJjcHVfdXRp" +
    "bF9zeXN0ZW0iOjYuMTg2MjUyNDk1ODQ1NDQsInNlbmRlcl9oYXNfcmV0cmFuc21pdHMiOjAsInN0cmVhbXMiOlt7" +
    "ImlkIjoxLCJieXRlcyI6MTMxMDAwLCJyZXRyYW5zbWl0cyI6MTg0NDY3NDQwNzM3MDk1NTE2MTUsImppdHRlciI6" +
    "MCwiZXJyb3JzIjowLCJwYWNrZXRzIjoxMzEwLCJzdGFydF90aW1lIjowLCJlbmRfdGltZSI6MS4wMDAxMDR9XX0Q",
);

/** What the server sent (UDP test). */
export const UDP_SERVER: Uint8Array = bytes(
  "CQoBAg0AAAE+eyJjcHVfdXRpbF90b3RhbCI6Mi4zNzgyODYzNDUzNjkyMDU4LCJjcHVfdXRpbF91c2VyIjowLjcz" +
    "MjE0MTc2MTUxMTc5NTU1LCJjcHVfdXRpbF9zeXN0ZW0iOjEuNjQ2MTQ0NTgzODU3NDEsInNlbmRlcl9oYXNfcmV0" +
    "cmFuc21pdHMiOjE4NDQ2NzQ0MDczNzA5NTUxNjE1LCJzdHJlYW1zIjpbeyJpZCI6MSwiYnl0ZXMiOjEzMTAwMCwi" +
    "cmV0cmFuc21pdHMiOjE4NDQ2NzQ0MDczNzA5NTUxNjE1LCJqaXR0ZXIiOjAuMDAwMTI2NzQ4MDQ3MTQwMjA0NDMs" +
    "ImVycm9ycyI6MCwicGFja2V0cyI6MTMxMCwic3RhcnRfdGltZSI6MCwiZW5kX3RpbWUiOjEuMDQzMDk0fV19Dg==",
);
