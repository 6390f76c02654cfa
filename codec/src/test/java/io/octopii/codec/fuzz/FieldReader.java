package io.octopii.codec.fuzz;

import io.octopii.codec.Framing;
import io.octopii.codec.MessageHandler;
import io.octopii.codec.ReflectiveMessages;
import org.agrona.DirectBuffer;
import org.agrona.collections.IntArrayList;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.List;

/**
 * Test-only handler that decodes every field of a delivered message with the generated decoders: root
 * fields, fixed arrays, every element of every group, every var-data field (its bytes are copied out).
 * Enum fields are read raw: the generated enum getters throw on values outside the schema, which the
 * validator does not check (a sender of a later version may add values), so code reading wire enums must
 * use the {@code xxxRaw()} accessors. After the last field it checks that the decoder ended exactly at the
 * end of the message the validator accepted; a decode that stopped short or ran past it throws
 * {@link AssertionError}. Any read outside the buffer throws from Agrona's bounds checks.
 *
 * <p>The plan of each message type is built once by reflection ({@link ReflectiveMessages#fieldsInSchemaOrder}).
 * Optionally records the message offsets of every group and var-data header (the structure the mutator
 * targets).
 */
public final class FieldReader implements MessageHandler
{
    private static final int PRIMITIVE = 0;
    private static final int ENUM_RAW = 1;
    private static final int FIXED_ARRAY = 2;
    private static final int VAR_DATA = 3;
    private static final int GROUP = 4;

    private final Plan[] plans = new Plan[64];
    private final byte[] scratch = new byte[1 << 20];
    private IntArrayList structure;
    private int messageOffset;
    private long delivered;
    private long fieldsRead;
    private long varDataBytes;
    private long groupElements;

    public FieldReader()
    {
        try
        {
            for (final String name : ReflectiveMessages.schemaMessageNames())
            {
                final Class<?> type = Class.forName(ReflectiveMessages.PACKAGE + "." + name + "Decoder");
                final Plan plan = new Plan(type, type.getConstructor().newInstance());
                plan.wrap = type.getMethod("wrap", DirectBuffer.class, int.class, int.class, int.class);
                plan.encodedLength = type.getMethod("encodedLength");
                plans[type.getField("TEMPLATE_ID").getInt(null)] = plan;
            }
        }
        catch (final Exception ex)
        {
            throw new IllegalStateException(ex);
        }
    }

    /** Record the message-relative offsets of group and var-data headers into {@code structure} (or stop: null). */
    public FieldReader recordStructure(final IntArrayList structure)
    {
        this.structure = structure;
        return this;
    }

    public void onMessage(
        final DirectBuffer buffer, final int offset, final int length, final int templateId, final int blockLength,
        final int version)
    {
        delivered++;
        final int consumed = decode(buffer, offset, templateId, blockLength, version);
        if (consumed != length)
        {
            throw new AssertionError("template " + templateId + ": decoding every field consumed " + consumed +
                " bytes but the validator accepted a message of " + length);
        }
    }

    /**
     * Decode every field of the message at {@code offset} (header included).
     *
     * @return bytes the decode covered, header included.
     * @throws AssertionError for a template with no decoder; any exception the decoders throw passes through.
     */
    public int decode(
        final DirectBuffer buffer, final int offset, final int templateId, final int blockLength, final int version)
    {
        final Plan plan = templateId >= 0 && templateId < plans.length ? plans[templateId] : null;
        if (plan == null)
        {
            throw new AssertionError("no decoder for template " + templateId);
        }
        messageOffset = offset;
        if (blockLength < plan.blockLength)
        {
            throw new ShapeViolation("root block length " + blockLength + " < " + plan.blockLength);
        }
        invoke(plan.wrap, plan.decoder, buffer, offset + Framing.HEADER_LENGTH, blockLength, version);
        readFields(plan, plan.decoder);
        return Framing.HEADER_LENGTH + (int)invoke(plan.encodedLength, plan.decoder);
    }

    /** @return true if the schema has a message with this template id. */
    public boolean knows(final int templateId)
    {
        return templateId >= 0 && templateId < plans.length && plans[templateId] != null;
    }

    /** @return the schema's root block length of a known template. */
    public int blockLength(final int templateId)
    {
        return plans[templateId].blockLength;
    }

    /** Messages delivered so far. */
    public long delivered()
    {
        return delivered;
    }

    /** A one-line summary of what was decoded. */
    public String summary()
    {
        return "decoded " + delivered + " messages: " + fieldsRead + " fields, " + groupElements + " group elements, " +
            varDataBytes + " var-data bytes";
    }

    private void readFields(final Plan plan, final Object decoder)
    {
        for (final Field field : plan.fields)
        {
            fieldsRead++;
            switch (field.kind)
            {
                case PRIMITIVE:
                case ENUM_RAW:
                    invoke(field.getter, decoder);
                    break;
                case FIXED_ARRAY:
                    invoke(field.getter, decoder, scratch, 0, field.fixedLength);
                    break;
                case VAR_DATA:
                {
                    markStructure(decoder);
                    final int length = (int)invoke(field.length, decoder);
                    final int copied = (int)invoke(field.getter, decoder, scratch, 0, Math.min(length, scratch.length));
                    if (copied != length)
                    {
                        throw new AssertionError(field.name + ": length " + length + " but " + copied + " bytes copied");
                    }
                    varDataBytes += length;
                    break;
                }
                case GROUP:
                {
                    markStructure(decoder);
                    final Object group = invoke(field.getter, decoder);
                    final int groupBlockLength = (int)invoke(field.element.actingBlockLength, group);
                    if (groupBlockLength < field.element.blockLength)
                    {
                        throw new ShapeViolation(field.name + " block length " + groupBlockLength + " < " +
                            field.element.blockLength);
                    }
                    final int count = (int)invoke(field.element.count, group);
                    for (int i = 0; i < count; i++)
                    {
                        invoke(field.element.next, group);
                        groupElements++;
                        readFields(field.element, group);
                    }
                    if ((boolean)invoke(field.element.hasNext, group))
                    {
                        throw new AssertionError(field.name + ": hasNext after " + count + " elements");
                    }
                    break;
                }
                default:
                    throw new IllegalStateException();
            }
        }
    }

    private void markStructure(final Object decoder)
    {
        if (structure != null)
        {
            structure.addInt(limitOf(decoder) - messageOffset);
        }
    }

    private int limitOf(final Object decoder)
    {
        try
        {
            Object root = decoder;
            try
            {
                final java.lang.reflect.Field parent = decoder.getClass().getDeclaredField("parentMessage");
                parent.setAccessible(true);
                root = parent.get(decoder);
            }
            catch (final NoSuchFieldException ignore)
            {
                // a message decoder: it owns the limit
            }
            return (int)root.getClass().getMethod("limit").invoke(root);
        }
        catch (final ReflectiveOperationException ex)
        {
            throw new IllegalStateException(ex);
        }
    }

    private static Object invoke(final Method method, final Object target, final Object... args)
    {
        try
        {
            return method.invoke(target, args);
        }
        catch (final InvocationTargetException ex)
        {
            final Throwable cause = ex.getCause();
            if (cause instanceof RuntimeException)
            {
                throw (RuntimeException)cause;
            }
            if (cause instanceof Error)
            {
                throw (Error)cause;
            }
            throw new IllegalStateException(cause);
        }
        catch (final IllegalAccessException ex)
        {
            throw new IllegalStateException(ex);
        }
    }

    /** The message breaks the schema's shape (a block shorter than the fixed fields it must hold). */
    public static final class ShapeViolation extends RuntimeException
    {
        private static final long serialVersionUID = 1L;

        ShapeViolation(final String message)
        {
            super(message);
        }
    }

    private static final class Field
    {
        String name;
        int kind;
        Method getter;
        Method length;
        int fixedLength;
        Plan element;
    }

    private static final class Plan
    {
        final Object decoder;
        final List<Field> fields = new ArrayList<>();
        final int blockLength;
        Method wrap;
        Method encodedLength;
        Method actingBlockLength;
        Method count;
        Method next;
        Method hasNext;

        Plan(final Class<?> type, final Object decoder) throws Exception
        {
            this.decoder = decoder;
            this.blockLength = (int)type.getMethod("sbeBlockLength").invoke(decoder == null ? null : decoder);
            for (final String name : ReflectiveMessages.fieldsInSchemaOrder(type))
            {
                final Field field = new Field();
                field.name = type.getSimpleName() + "." + name;
                final String capital = Character.toUpperCase(name.charAt(0)) + name.substring(1);
                if (isStatic(type, name + "HeaderLength"))
                {
                    field.kind = VAR_DATA;
                    field.length = type.getMethod(name + "Length");
                    field.getter = type.getMethod("get" + capital, byte[].class, int.class, int.class);
                }
                else if (find(type, name) != null && find(type, name).getReturnType().getSimpleName().equals(capital + "Decoder"))
                {
                    field.kind = GROUP;
                    field.getter = type.getMethod(name);
                    final Class<?> groupType = field.getter.getReturnType();
                    field.element = new Plan(groupType, null);
                    field.element.count = groupType.getMethod("count");
                    field.element.next = groupType.getMethod("next");
                    field.element.hasNext = groupType.getMethod("hasNext");
                    field.element.actingBlockLength = groupType.getMethod("actingBlockLength");
                }
                else if (find(type, name + "Raw") != null)
                {
                    field.kind = ENUM_RAW;
                    field.getter = type.getMethod(name + "Raw");
                }
                else if (isStatic(type, name + "Length") && find(type, "get" + capital, byte[].class, int.class, int.class) != null)
                {
                    field.kind = FIXED_ARRAY;
                    field.fixedLength = (int)type.getMethod(name + "Length").invoke(null);
                    field.getter = type.getMethod("get" + capital, byte[].class, int.class, int.class);
                }
                else
                {
                    field.kind = PRIMITIVE;
                    field.getter = type.getMethod(name);
                }
                fields.add(field);
            }
        }
    }

    private static boolean isStatic(final Class<?> type, final String name)
    {
        final Method m = find(type, name);
        return m != null && Modifier.isStatic(m.getModifiers());
    }

    private static Method find(final Class<?> type, final String name, final Class<?>... parameters)
    {
        try
        {
            return type.getMethod(name, parameters);
        }
        catch (final NoSuchMethodException ex)
        {
            return null;
        }
    }
}
