/**
 * The Shipping Lane: verified, resumable, flow-controlled peer-to-peer transfer of files and buffers
 * over a {@link io.octopii.transport.Transport}'s SHIPPING channel. Entry point
 * {@link io.octopii.shipping.ShippingLane}; receivers decide with an
 * {@link io.octopii.shipping.InboundShipmentHandler}; every shipment ends with a
 * {@link io.octopii.shipping.ShipmentResult} naming its {@link io.octopii.shipping.ShipmentOutcome}.
 */
package io.octopii.shipping;
