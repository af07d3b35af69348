// Package socketio is a small Socket.IO server: the Socket.IO protocol v5
// (what Socket.IO v4 servers speak) over Engine.IO protocol v4, with the
// standard library and gorilla/websocket.
//
// Engine.IO (https://socket.io/docs/v4/engine-io-protocol) carries packets
// over HTTP long-polling or a WebSocket at one path, told apart by the query
// (EIO=4, transport=polling|websocket, sid once the session exists):
//
//   - polling: a GET without sid opens a session and answers the handshake,
//     an open packet 0{"sid","upgrades":["websocket"],"pingInterval",
//     "pingTimeout","maxPayload"}; then GETs wait for the server's packets
//     and POSTs carry the client's (answered "ok"). A body holds packets
//     separated by the record separator \x1e; a packet is its type digit
//     and its data (a binary message is "b" and base64);
//   - websocket: without sid the session opens on the WebSocket (the
//     handshake is its first frame, with no upgrades); with the sid of a
//     polling session it upgrades it: the client probes with 2probe, the
//     server answers 3probe and ends a waiting GET with a noop (6), the
//     client sends 5 (upgrade) and polling stops (later GETs get 400);
//   - heartbeat: the server sends ping (2) every pingInterval and closes a
//     session whose pong (3) does not come within pingTimeout.
//
// Socket.IO (https://socket.io/docs/v4/socket-io-protocol) rides in
// Engine.IO message packets (4): CONNECT 0/ns,{auth} answered CONNECT
// 0/ns,{"sid"} or CONNECT_ERROR 4/ns,{"message"}; EVENT 2/ns,[name, args…]
// (with an ack id, answered ACK 3/ns,id[]); DISCONNECT 1/ns,. The main
// namespace "/" is written without the "/ns," part.
//
// Server.Connect admits or refuses each namespace connection; the returned
// Handler receives the events of that socket, in order, one at a time.
// Binary events are not supported (they are dropped, with their
// attachments); acks the client requests are answered with no arguments.
package socketio
