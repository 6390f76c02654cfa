/**
 * The deterministic simulator's in-memory network: {@link io.octopii.transport.sim.SimulatedNetwork} with one
 * {@link io.octopii.transport.sim.SimulatedTransport} per member, driven from one thread by a simulated clock,
 * with seeded delay, drop, duplicate, reorder and partition faults.
 */
package io.octopii.transport.sim;
