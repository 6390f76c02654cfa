/**
 * Octopii's wire protocol: the generated SBE flyweights ({@code io.octopii.codec.sbe}, from
 * {@code src/main/resources/sbe/octopii-messages.xml}), stream {@link io.octopii.codec.Framing}, and the
 * validating {@link io.octopii.codec.FrameDispatcher} every inbound message passes before it is decoded.
 */
package io.octopii.codec;
