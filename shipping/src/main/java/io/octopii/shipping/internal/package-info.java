/**
 * Internals of the Shipping Lane: the {@link io.octopii.shipping.internal.ShippingAgent} duty cycle,
 * the adapter and publisher for the SBE Shipment* messages, outbound and inbound session state
 * machines, sources, sinks and the resume sidecar ({@link io.octopii.shipping.internal.ShipmentSidecarDescriptor}).
 * Not an API: types are public only because Java packages require it.
 */
package io.octopii.shipping.internal;
