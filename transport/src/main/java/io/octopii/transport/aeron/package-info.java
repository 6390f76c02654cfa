/**
 * The {@link io.octopii.transport.Transport} over Aeron UDP: {@link io.octopii.transport.aeron.AeronTransport}.
 *
 * <p><b>For trusted networks only.</b> Nothing is encrypted or authenticated beyond a {@code Hello} that
 * names the cluster id and node id: anyone who can send UDP datagrams to a node's endpoint can read and
 * inject traffic. Across untrusted networks use the QUIC transport ({@code io.octopii.transport.quic});
 * setting {@code requireEncryption} makes this transport refuse to start.
 *
 * <p>Wire shape, per member pair and direction:
 * <pre>
 *   member A                                                   member B (endpoint host:port)
 *   publication  aeron:udp?endpoint=B  stream base+0  ───────►  subscription  CONSENSUS
 *   publication  aeron:udp?endpoint=B  stream base+1  ───────►  subscription  RPC
 *   publication  aeron:udp?endpoint=B  stream base+2  ───────►  subscription  SHIPPING
 *
 *   each image:  Hello(clusterId, nodeId, versions, nonce) │ message │ message │ ... │ Hello (every helloIntervalNs) │ ...
 * </pre>
 * With {@code ipc(true)} (members on one host sharing one media driver) the channel is {@code aeron:ipc} and each
 * (receiver, sender, channel) triple has its own stream, {@code base + 3 * (1024 * receiverId + senderId) + channel},
 * so concurrent publications of different members never share a log; the receiver subscribes once per sender.
 * Every Aeron message is exactly one SBE message (no length prefix: Aeron frames it). Messages above the
 * MTU payload are fragmented by Aeron and reassembled on receipt. A receiver attributes an image to a
 * member only after that image carried a valid Hello, so after either side restarts the new images are
 * anonymous until their Hello arrives (at once on connect, and again every hello interval).
 */
package io.octopii.transport.aeron;
