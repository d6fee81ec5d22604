// Keeps a rendering bug from blanking the page: the failing part shows its error and a way back.
import { Component, type ErrorInfo, type ReactNode } from 'react';
import { describeError } from '../errors';

interface Props {
  children: ReactNode;
  /** what failed, for the message */
  label: string;
}

export class ErrorBoundary extends Component<Props, { error: unknown }> {
  override state: { error: unknown } = { error: null };

  static getDerivedStateFromError(error: unknown): { error: unknown } {
    return { error };
  }

  override componentDidCatch(error: unknown, info: ErrorInfo): void {
    // the devtools console is where a developer looks for the component stack
    console.warn(`${this.props.label} failed to render`, error, info.componentStack);
  }

  override render(): ReactNode {
    if (this.state.error === null) return this.props.children;
    return (
      <div className="error-note" role="alert">
        <span>
          {this.props.label} failed to render: {describeError(this.state.error)}
        </span>
        <button type="button" className="link" onClick={() => this.setState({ error: null })}>
          Try again
        </button>
      </div>
    );
  }
}
