package io.octopii.codec;

import io.octopii.codec.internal.MessageShape;
import io.octopii.codec.internal.MessageShapes;
import io.octopii.codec.sbe.MessageHeaderDecoder;
import io.octopii.codec.sbe.MessageHeaderEncoder;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Test-only: encodes any message of the schema with random field values by reflection over the
 * generated flyweights (fields in schema order, i.e. ascending field id), and decodes it back to the
 * same list of values. Lets one property test cover every message, including ones added later.
 */
public final class ReflectiveMessages
{
    public static final String PACKAGE = "io.octopii.codec.sbe";

    private ReflectiveMessages()
    {
    }

    /** Names of every message the generator produced (classes implementing MessageEncoderFlyweight). */
    public static List<String> generatedMessageNames() throws Exception
    {
        final Path root = Paths.get(MessageHeaderDecoder.class.getProtectionDomain().getCodeSource().getLocation().toURI())
            .resolve(PACKAGE.replace('.', '/'));
        final List<String> names = new ArrayList<>();
        try (Stream<Path> files = Files.list(root))
        {
            for (final Path file : files.collect(Collectors.toList()))
            {
                final String fileName = file.getFileName().toString();
                if (fileName.endsWith("Encoder.class") && !fileName.contains("$"))
                {
                    final Class<?> type = Class.forName(PACKAGE + "." + fileName.replace(".class", ""));
                    if (org.agrona.sbe.MessageEncoderFlyweight.class.isAssignableFrom(type))
                    {
                        names.add(fileName.replace("Encoder.class", ""));
                    }
                }
            }
        }
        names.sort(null);
        return names;
    }

    /**
     * Names of every message {@link MessageShapes} knows, in template id order. Works from a jar, unlike
     * {@link #generatedMessageNames()} (which lists the generated classes, to check the shapes against them).
     */
    public static List<String> schemaMessageNames()
    {
        final List<String> names = new ArrayList<>();
        for (int templateId = 0; templateId < 65536; templateId++)
        {
            final MessageShape shape = MessageShapes.shape(templateId);
            if (shape != null)
            {
                names.add(shape.name());
            }
        }
        return names;
    }

    /**
     * Encode message {@code name} with random values at {@code offset} (header included).
     *
     * @return the encoded length including the header; values appended to {@code expected}.
     */
    public static int encodeRandom(
        final String name,
        final MutableDirectBuffer buffer,
        final int offset,
        final SplittableRandom random,
        final int maxVarDataLength,
        final List<Object> expected) throws Exception
    {
        final Class<?> type = Class.forName(PACKAGE + "." + name + "Encoder");
        final Object encoder = type.getConstructor().newInstance();
        type.getMethod("wrapAndApplyHeader", MutableDirectBuffer.class, int.class, MessageHeaderEncoder.class)
            .invoke(encoder, buffer, offset, new MessageHeaderEncoder());
        encodeFields(type, encoder, random, maxVarDataLength, expected);
        return MessageHeaderEncoder.ENCODED_LENGTH + (int)type.getMethod("encodedLength").invoke(encoder);
    }

    /** Decode message {@code name} at {@code offset} (header included) into a list of values. */
    public static List<Object> decode(final String name, final DirectBuffer buffer, final int offset) throws Exception
    {
        final MessageHeaderDecoder header = new MessageHeaderDecoder().wrap(buffer, offset);
        final Class<?> type = Class.forName(PACKAGE + "." + name + "Decoder");
        final Object decoder = type.getConstructor().newInstance();
        type.getMethod("wrap", DirectBuffer.class, int.class, int.class, int.class).invoke(
            decoder, buffer, offset + MessageHeaderDecoder.ENCODED_LENGTH, header.blockLength(), header.version());
        final List<Object> values = new ArrayList<>();
        decodeFields(type, decoder, values);
        return values;
    }

    private static void encodeFields(
        final Class<?> type,
        final Object encoder,
        final SplittableRandom random,
        final int maxVarDataLength,
        final List<Object> expected) throws Exception
    {
        for (final String field : fieldsInSchemaOrder(type))
        {
            if (hasStatic(type, field + "HeaderLength"))
            {
                final byte[] bytes = new byte[random.nextInt(maxVarDataLength + 1)];
                for (int i = 0; i < bytes.length; i++)
                {
                    bytes[i] = (byte)random.nextInt(256);
                }
                type.getMethod("put" + capitalise(field), byte[].class, int.class, int.class)
                    .invoke(encoder, bytes, 0, bytes.length);
                expected.add(Arrays.toString(bytes));
            }
            else if (findMethod(type, field + "Count", int.class) != null)
            {
                final int count = random.nextInt(5);
                final Object group = type.getMethod(field + "Count", int.class).invoke(encoder, count);
                expected.add("group:" + count);
                for (int i = 0; i < count; i++)
                {
                    group.getClass().getMethod("next").invoke(group);
                    encodeFields(group.getClass(), group, random, maxVarDataLength, expected);
                }
            }
            else if (hasStatic(type, field + "Length") && findMethod(type, "put" + capitalise(field), byte[].class, int.class, int.class) != null)
            {
                final int length = (int)type.getMethod(field + "Length").invoke(null);
                final byte[] bytes = new byte[length];
                for (int i = 0; i < length; i++)
                {
                    bytes[i] = (byte)random.nextInt(256);
                }
                type.getMethod("put" + capitalise(field), byte[].class, int.class, int.class).invoke(encoder, bytes, 0, length);
                expected.add(Arrays.toString(bytes));
            }
            else
            {
                final Method setter = Arrays.stream(type.getMethods())
                    .filter(m -> m.getName().equals(field) && m.getParameterCount() == 1 && !Modifier.isStatic(m.getModifiers()))
                    .findFirst()
                    .orElseThrow(() -> new IllegalStateException("no setter for " + type.getSimpleName() + "." + field));
                final Class<?> parameter = setter.getParameterTypes()[0];
                final Object value;
                if (parameter.isEnum())
                {
                    final Object[] constants = Arrays.stream(parameter.getEnumConstants())
                        .filter(c -> !((Enum<?>)c).name().equals("NULL_VAL"))
                        .toArray();
                    value = constants[random.nextInt(constants.length)];
                }
                else
                {
                    final long min = ((Number)type.getMethod(field + "MinValue").invoke(null)).longValue();
                    final long max = ((Number)type.getMethod(field + "MaxValue").invoke(null)).longValue();
                    final long v = max - min == Long.MAX_VALUE - Long.MIN_VALUE || max - min < 0 ?
                        random.nextLong() : min + random.nextLong(max - min + 1);
                    value = parameter == long.class ? (Object)v : parameter == int.class ? (Object)(int)v :
                        parameter == short.class ? (Object)(short)v : (Object)(byte)v;
                }
                setter.invoke(encoder, value);
                expected.add(value instanceof Enum ? value.toString() : ((Number)value).longValue());
            }
        }
    }

    private static void decodeFields(final Class<?> type, final Object decoder, final List<Object> values) throws Exception
    {
        for (final String field : fieldsInSchemaOrder(type))
        {
            if (hasStatic(type, field + "HeaderLength"))
            {
                final int length = (int)type.getMethod(field + "Length").invoke(decoder);
                final byte[] bytes = new byte[length];
                type.getMethod("get" + capitalise(field), byte[].class, int.class, int.class).invoke(decoder, bytes, 0, length);
                values.add(Arrays.toString(bytes));
            }
            else if (findMethod(type, field + "Count", int.class) != null || isGroupDecoder(type, field))
            {
                final Object group = type.getMethod(field).invoke(decoder);
                final int count = (int)group.getClass().getMethod("count").invoke(group);
                values.add("group:" + count);
                for (int i = 0; i < count; i++)
                {
                    group.getClass().getMethod("next").invoke(group);
                    decodeFields(group.getClass(), group, values);
                }
            }
            else if (hasStatic(type, field + "Length") && findMethod(type, "get" + capitalise(field), byte[].class, int.class, int.class) != null)
            {
                final int length = (int)type.getMethod(field + "Length").invoke(null);
                final byte[] bytes = new byte[length];
                type.getMethod("get" + capitalise(field), byte[].class, int.class, int.class).invoke(decoder, bytes, 0, length);
                values.add(Arrays.toString(bytes));
            }
            else
            {
                final Object value = type.getMethod(field).invoke(decoder);
                values.add(value instanceof Enum ? value.toString() : ((Number)value).longValue());
            }
        }
    }

    private static boolean isGroupDecoder(final Class<?> type, final String field)
    {
        final Method m = findMethod(type, field);
        return m != null && m.getReturnType().getSimpleName().equals(capitalise(field) + "Decoder");
    }

    /** Field names ordered by their schema id: every {@code static xxxId()} except the sbe* ones. */
    public static List<String> fieldsInSchemaOrder(final Class<?> type) throws Exception
    {
        final List<Object[]> fields = new ArrayList<>();
        for (final Method method : type.getMethods())
        {
            final String name = method.getName();
            if (Modifier.isStatic(method.getModifiers()) && method.getParameterCount() == 0 &&
                name.endsWith("Id") && !name.startsWith("sbe") && name.length() > 2)
            {
                String field = name.substring(0, name.length() - 2);
                if (field.endsWith("Decoder") && method.getReturnType() == long.class)
                {
                    field = field.substring(0, field.length() - "Decoder".length()); // a group's id in a decoder
                }
                fields.add(new Object[]{ field, ((Number)method.invoke(null)).longValue() });
            }
        }
        fields.sort(Comparator.comparingLong(f -> (long)f[1]));
        return fields.stream().map(f -> (String)f[0]).collect(Collectors.toList());
    }

    private static boolean hasStatic(final Class<?> type, final String name)
    {
        final Method m = findMethod(type, name);
        return m != null && Modifier.isStatic(m.getModifiers());
    }

    private static Method findMethod(final Class<?> type, final String name, final Class<?>... parameters)
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

    private static String capitalise(final String name)
    {
        return Character.toUpperCase(name.charAt(0)) + name.substring(1);
    }
}
