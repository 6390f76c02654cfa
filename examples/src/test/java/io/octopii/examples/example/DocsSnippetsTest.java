package io.octopii.examples.example;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Every {@code ```java} block in docs/*.md must appear, line for line (leading indentation and
 * trailing spaces ignored), in a source file under examples/src/main/java, so the docs show code that
 * compiles. Copy a snippet from between {@code // docs:start name} and {@code // docs:end name}.
 */
class DocsSnippetsTest
{
    private static final Path DOCS = Paths.get("..", "docs");
    private static final Path SOURCES = Paths.get("src", "main", "java");

    @Test
    void shouldFindEveryJavaSnippetOfTheDocsInTheCompiledExamples() throws IOException
    {
        final List<List<String>> sources = new ArrayList<>();
        try (Stream<Path> files = Files.walk(SOURCES))
        {
            for (final Path file : files.filter(p -> p.toString().endsWith(".java")).collect(Collectors.toList()))
            {
                sources.add(normalise(Files.readAllLines(file, StandardCharsets.UTF_8)));
            }
        }
        assertTrue(sources.size() > 5, "no example sources under " + SOURCES.toAbsolutePath());

        int snippets = 0;
        final List<String> missing = new ArrayList<>();
        try (Stream<Path> files = Files.list(DOCS))
        {
            for (final Path doc : files.filter(p -> p.toString().endsWith(".md")).sorted().collect(Collectors.toList()))
            {
                final List<String> lines = Files.readAllLines(doc, StandardCharsets.UTF_8);
                for (int i = 0; i < lines.size(); i++)
                {
                    if (lines.get(i).strip().equals("```java"))
                    {
                        final int start = i + 1;
                        int end = start;
                        while (end < lines.size() && !lines.get(end).strip().equals("```"))
                        {
                            end++;
                        }
                        if (end == lines.size())
                        {
                            fail(doc.getFileName() + ":" + (i + 1) + ": ```java block is never closed");
                        }
                        snippets++;
                        final List<String> snippet = normalise(lines.subList(start, end));
                        if (snippet.stream().allMatch(String::isEmpty) || !foundIn(sources, snippet))
                        {
                            missing.add(doc.getFileName() + ":" + (i + 1) + " (" + snippet.size() + " lines, first: '" +
                                (snippet.isEmpty() ? "" : snippet.get(0)) + "')");
                        }
                        i = end;
                    }
                }
            }
        }
        assertTrue(snippets >= 10, "expected the docs to hold java snippets, found " + snippets + " in " + DOCS.toAbsolutePath());
        if (!missing.isEmpty())
        {
            fail("java snippets in docs/ that are not verbatim in examples/src/main/java:\n  " + String.join("\n  ", missing));
        }
    }

    static List<String> normalise(final List<String> lines)
    {
        final List<String> out = new ArrayList<>(lines.size());
        for (final String line : lines)
        {
            out.add(line.strip());
        }
        return out;
    }

    static boolean foundIn(final List<List<String>> sources, final List<String> snippet)
    {
        for (final List<String> source : sources)
        {
            if (java.util.Collections.indexOfSubList(source, snippet) >= 0)
            {
                return true;
            }
        }
        return false;
    }
}
