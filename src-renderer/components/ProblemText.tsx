// A problem's question and gold answer, as the problem view and a search's problem pane show them (each in
// its own layout: the classes and test ids are the caller's).
import { MathText } from '../math/MathText';

export function ProblemText({ problem, questionClass, questionTestId, goldClass }: { problem: { question: string; answer: string }; questionClass: string; questionTestId: string; goldClass: string }) {
  return (
    <>
      <div className={questionClass} data-testid={questionTestId}>
        <MathText text={problem.question} />
      </div>
      <div className={goldClass}>
        Gold answer: <MathText text={problem.answer || '(none)'} className="mono" />
      </div>
    </>
  );
}
