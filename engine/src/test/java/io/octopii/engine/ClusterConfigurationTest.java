package io.octopii.engine;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ClusterConfigurationTest
{
    @Test
    void shouldRoundTripVotersLearnersAndAddressesThroughItsEncoding()
    {
        final ClusterConfiguration configuration = ClusterConfiguration.ofVoters(1, 2, 3)
            .withLearner(4, "db4.example:7004")
            .withPromoted(4)
            .withLearner(5, "10.0.0.5:7005")
            .without(2);
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[configuration.encodedLength() + 8]);
        assertEquals(configuration.encodedLength(), configuration.encode(buffer, 8));

        final ClusterConfiguration decoded = ClusterConfiguration.decode(buffer, 8, configuration.encodedLength());
        assertEquals(configuration, decoded);
        assertArrayEquals(new int[]{1, 3, 4}, decoded.voterIds());
        assertArrayEquals(new int[]{1, 3, 4, 5}, decoded.memberIds());
        assertTrue(decoded.isLearner(5));
        assertFalse(decoded.isMember(2));
        assertEquals("db4.example:7004", decoded.address(4));
        assertEquals("voters [1, 3, 4@db4.example:7004] learners [5@10.0.0.5:7005]", decoded.toString());
    }

    @Test
    void shouldRefuseBytesThatAreNotAConfiguration()
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[16]);
        buffer.putInt(0, 1000);
        assertThrows(IllegalArgumentException.class, () -> ClusterConfiguration.decode(buffer, 0, 16));
        assertThrows(IllegalArgumentException.class, () -> ClusterConfiguration.decode(buffer, 0, 2));
        buffer.putInt(0, 1);
        buffer.putShort(9, (short)200);
        assertThrows(IllegalArgumentException.class, () -> ClusterConfiguration.decode(buffer, 0, 16));
    }
}
