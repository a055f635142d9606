"""Pages: views, forms, filters, middleware and the data builders of what pages draw."""
