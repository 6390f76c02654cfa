package io.octopii.log;

import org.agrona.DirectBuffer;

/** A storage that forwards every call to another; tests override the calls they watch or break. */
class ForwardingStorage implements LogStorage
{
    protected final LogStorage delegate;

    ForwardingStorage(final LogStorage delegate)
    {
        this.delegate = delegate;
    }

    public StorageFile createFile(
        final String name, final int length, final DirectBuffer initial, final int initialOffset, final int initialLength)
    {
        return delegate.createFile(name, length, initial, initialOffset, initialLength);
    }

    public StorageFile openFile(final String name)
    {
        return delegate.openFile(name);
    }

    public StreamFile createStream(final String name)
    {
        return delegate.createStream(name);
    }

    public StreamFile openStream(final String name)
    {
        return delegate.openStream(name);
    }

    public boolean exists(final String name)
    {
        return delegate.exists(name);
    }

    public void delete(final String name)
    {
        delegate.delete(name);
    }

    public void rename(final String from, final String to)
    {
        delegate.rename(from, to);
    }

    public void move(final String from, final String to)
    {
        delegate.move(from, to);
    }

    public void syncDirectory()
    {
        delegate.syncDirectory();
    }

    public String[] list()
    {
        return delegate.list();
    }

    public String describe()
    {
        return delegate.describe();
    }

    public void close()
    {
        delegate.close();
    }
}
