package io.octopii.engine;

/**
 * How the {@link ConsensusAgent} gets its duty cycle.
 */
public enum ThreadingMode
{
    /** The agent runs on its own thread, the log flusher on another. */
    DEDICATED,
    /** The agent and the log flusher share one thread (an Agrona {@code CompositeAgent}). */
    SHARED,
    /** No thread is started: the embedder calls {@code doWork} (or an {@code AgentInvoker}) from its own loop. */
    INVOKER
}
