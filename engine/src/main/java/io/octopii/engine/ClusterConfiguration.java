package io.octopii.engine;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * A cluster's membership: the voting members and the learners (non-voting members that receive the log), each
 * with the address peers reach it at. It travels in the log as a configuration entry and takes effect on a node
 * as soon as the node appends it (committed or not); only one change may be uncommitted at a time, so any two
 * consecutive configurations share a majority.
 *
 * <pre>
 * Encoding (little-endian), the payload of a CONFIGURATION entry:
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                        member count                           |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                        member id               (per member)   |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |  is voter (1)  |    address length (uint16)    | address ...  |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * </pre>
 *
 * <p><b>Thread.</b> Immutable; any thread. <b>Allocation.</b> Built on the slow path only (start-up and
 * membership changes).
 */
public final class ClusterConfiguration
{
    private final int[] memberIds;
    private final boolean[] isVoter;
    private final String[] addresses;
    private final int[] voterIds;

    /**
     * @param memberIds ids of every member, distinct.
     * @param isVoter   per member, whether it votes.
     * @param addresses per member, {@code host:port} (empty when unknown, as in the simulator).
     */
    public ClusterConfiguration(final int[] memberIds, final boolean[] isVoter, final String[] addresses)
    {
        if (memberIds.length != isVoter.length || memberIds.length != addresses.length)
        {
            throw new IllegalArgumentException("memberIds, isVoter and addresses differ in length");
        }
        if (Arrays.stream(memberIds).distinct().count() != memberIds.length)
        {
            throw new IllegalArgumentException("member ids must be distinct: " + Arrays.toString(memberIds));
        }
        this.memberIds = memberIds.clone();
        this.isVoter = isVoter.clone();
        this.addresses = addresses.clone();
        int voters = 0;
        for (final boolean v : isVoter)
        {
            voters += v ? 1 : 0;
        }
        this.voterIds = new int[voters];
        for (int i = 0, v = 0; i < memberIds.length; i++)
        {
            if (isVoter[i])
            {
                voterIds[v++] = memberIds[i];
            }
        }
    }

    /**
     * @param voterIds the voting members, without addresses.
     * @return a configuration of voters only.
     */
    public static ClusterConfiguration ofVoters(final int... voterIds)
    {
        final boolean[] voters = new boolean[voterIds.length];
        Arrays.fill(voters, true);
        final String[] addresses = new String[voterIds.length];
        Arrays.fill(addresses, "");
        return new ClusterConfiguration(voterIds, voters, addresses);
    }

    /** @return every member id, voters and learners. */
    public int[] memberIds()
    {
        return memberIds.clone();
    }

    /** @return the voting member ids. */
    public int[] voterIds()
    {
        return voterIds.clone();
    }

    /** @return members. */
    public int size()
    {
        return memberIds.length;
    }

    /** @return voters. */
    public int voterCount()
    {
        return voterIds.length;
    }

    /** @return whether {@code memberId} is a member (voter or learner). */
    public boolean isMember(final int memberId)
    {
        return indexOf(memberId) >= 0;
    }

    /** @return whether {@code memberId} votes. */
    public boolean isVoter(final int memberId)
    {
        final int i = indexOf(memberId);
        return i >= 0 && isVoter[i];
    }

    /** @return whether {@code memberId} is a learner. */
    public boolean isLearner(final int memberId)
    {
        final int i = indexOf(memberId);
        return i >= 0 && !isVoter[i];
    }

    /** @return the member's {@code host:port}, empty when unknown, or null when not a member. */
    public String address(final int memberId)
    {
        final int i = indexOf(memberId);
        return i < 0 ? null : addresses[i];
    }

    /** @return this plus a learner (slow path). */
    public ClusterConfiguration withLearner(final int memberId, final String address)
    {
        final int n = memberIds.length;
        final int[] ids = Arrays.copyOf(memberIds, n + 1);
        final boolean[] voters = Arrays.copyOf(isVoter, n + 1);
        final String[] addrs = Arrays.copyOf(addresses, n + 1);
        ids[n] = memberId;
        addrs[n] = null == address ? "" : address;
        return new ClusterConfiguration(ids, voters, addrs);
    }

    /** @return this with a learner made a voter (slow path). */
    public ClusterConfiguration withPromoted(final int memberId)
    {
        final boolean[] voters = isVoter.clone();
        voters[indexOf(memberId)] = true;
        return new ClusterConfiguration(memberIds, voters, addresses);
    }

    /** @return this without a member (slow path). */
    public ClusterConfiguration without(final int memberId)
    {
        final int skip = indexOf(memberId);
        final int n = memberIds.length - 1;
        final int[] ids = new int[n];
        final boolean[] voters = new boolean[n];
        final String[] addrs = new String[n];
        for (int i = 0, j = 0; i <= n; i++)
        {
            if (i != skip)
            {
                ids[j] = memberIds[i];
                voters[j] = isVoter[i];
                addrs[j++] = addresses[i];
            }
        }
        return new ClusterConfiguration(ids, voters, addrs);
    }

    /** @return bytes {@link #encode} writes. */
    public int encodedLength()
    {
        int length = 4;
        for (final String address : addresses)
        {
            length += 4 + 1 + 2 + address.getBytes(StandardCharsets.UTF_8).length;
        }
        return length;
    }

    /**
     * @return bytes written at {@code offset}.
     */
    public int encode(final MutableDirectBuffer buffer, final int offset)
    {
        int position = offset;
        buffer.putInt(position, memberIds.length);
        position += 4;
        for (int i = 0; i < memberIds.length; i++)
        {
            final byte[] address = addresses[i].getBytes(StandardCharsets.UTF_8);
            buffer.putInt(position, memberIds[i]);
            buffer.putByte(position + 4, (byte)(isVoter[i] ? 1 : 0));
            buffer.putShort(position + 5, (short)address.length);
            buffer.putBytes(position + 7, address);
            position += 7 + address.length;
        }
        return position - offset;
    }

    /**
     * @return the configuration encoded at {@code offset}.
     * @throws IllegalArgumentException when the bytes are not a configuration.
     */
    public static ClusterConfiguration decode(final DirectBuffer buffer, final int offset, final int length)
    {
        if (length < 4)
        {
            throw new IllegalArgumentException("configuration of " + length + " bytes");
        }
        final int count = buffer.getInt(offset);
        if (count < 0 || count > (length - 4) / 7)
        {
            throw new IllegalArgumentException("configuration claims " + count + " members in " + length + " bytes");
        }
        final int[] ids = new int[count];
        final boolean[] voters = new boolean[count];
        final String[] addrs = new String[count];
        int position = offset + 4;
        for (int i = 0; i < count; i++)
        {
            if (position + 7 > offset + length)
            {
                throw new IllegalArgumentException("configuration truncated at member " + i);
            }
            ids[i] = buffer.getInt(position);
            voters[i] = buffer.getByte(position + 4) != 0;
            final int addressLength = buffer.getShort(position + 5) & 0xFFFF;
            if (position + 7 + addressLength > offset + length)
            {
                throw new IllegalArgumentException("configuration address of member " + ids[i] + " truncated");
            }
            addrs[i] = buffer.getStringWithoutLengthUtf8(position + 7, addressLength);
            position += 7 + addressLength;
        }
        return new ClusterConfiguration(ids, voters, addrs);
    }

    private int indexOf(final int memberId)
    {
        for (int i = 0; i < memberIds.length; i++)
        {
            if (memberIds[i] == memberId)
            {
                return i;
            }
        }
        return -1;
    }

    /** {@inheritDoc} */
    public boolean equals(final Object o)
    {
        if (!(o instanceof ClusterConfiguration))
        {
            return false;
        }
        final ClusterConfiguration other = (ClusterConfiguration)o;
        return Arrays.equals(memberIds, other.memberIds) && Arrays.equals(isVoter, other.isVoter) &&
            Arrays.equals(addresses, other.addresses);
    }

    /** {@inheritDoc} */
    public int hashCode()
    {
        return Arrays.hashCode(memberIds) * 31 + Arrays.hashCode(isVoter);
    }

    /** {@inheritDoc} */
    public String toString()
    {
        final StringBuilder sb = new StringBuilder("voters [");
        for (int i = 0, n = 0; i < memberIds.length; i++)
        {
            if (isVoter[i])
            {
                sb.append(n++ > 0 ? ", " : "").append(memberIds[i]).append(addresses[i].isEmpty() ? "" : "@" + addresses[i]);
            }
        }
        sb.append("] learners [");
        for (int i = 0, n = 0; i < memberIds.length; i++)
        {
            if (!isVoter[i])
            {
                sb.append(n++ > 0 ? ", " : "").append(memberIds[i]).append(addresses[i].isEmpty() ? "" : "@" + addresses[i]);
            }
        }
        return sb.append(']').toString();
    }
}
